#include "rnnkit/script_converter.h"

#include <opencc/Exception.hpp>
#include <opencc/SimpleConverter.hpp>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"

namespace rnnkit {

// OpenCC 1.1 reports a missing configuration as std::runtime_error and a broken dictionary as
// opencc::Exception, which does not derive from std::exception; both become an Error.
ScriptConverter::ScriptConverter(const std::string& config) : config_(config) {
  try {
    converter_ = std::make_shared<const opencc::SimpleConverter>(config);
  } catch (const opencc::Exception& e) {
    throw Error("cannot load the OpenCC configuration " + config + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error("cannot load the OpenCC configuration " + config + ": " + e.what());
  }
}

ScriptConverter ScriptConverter::to_simplified() {
  return ScriptConverter("t2s.json");
}

ScriptConverter ScriptConverter::to_traditional() {
  return ScriptConverter("s2t.json");
}

std::string ScriptConverter::convert(std::string_view utf8) const {
  if (const size_t bad = utf8::find_invalid(utf8); bad != std::string_view::npos) {
    throw Error(config_ + ": invalid UTF-8 at byte offset " + std::to_string(bad));
  }
  try {
    return converter_->Convert(utf8.data(), utf8.size());
  } catch (const opencc::Exception& e) {
    throw Error(config_ + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error(config_ + ": " + e.what());
  }
}

}  // namespace rnnkit
