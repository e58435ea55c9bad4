#include "rnnkit/script_converter.h"

#include <algorithm>

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
    // OpenCC reads its input as a C string: a NUL would end the text there, so the pieces
    // between NULs are converted one by one and the NULs kept.
    std::string converted;
    for (size_t begin = 0;;) {
      const size_t nul = std::min(utf8.find('\0', begin), utf8.size());
      if (nul > begin) converted += converter_->Convert(utf8.data() + begin, nul - begin);
      if (nul == utf8.size()) return converted;
      converted.push_back('\0');
      begin = nul + 1;
    }
  } catch (const opencc::Exception& e) {
    throw Error(config_ + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error(config_ + ": " + e.what());
  }
}

namespace {

// Converters load their dictionaries once per process; copies share them.
const ScriptConverter* converter_to(const std::string& script) {
  if (script == "simplified") {
    static const ScriptConverter to_simplified = ScriptConverter::to_simplified();
    return &to_simplified;
  }
  if (script == "traditional") {
    static const ScriptConverter to_traditional = ScriptConverter::to_traditional();
    return &to_traditional;
  }
  return nullptr;
}

bool in_vocabulary(const Vocab& vocab, char32_t c) {
  return vocab.find(utf8::encode(c)).has_value();
}

}  // namespace

std::u32string in_vocabulary_script(const std::u32string& text, const Vocab& vocab) {
  const ScriptConverter* converter = converter_to(vocab.normalization().script);
  if (converter == nullptr || text.empty()) return text;
  std::u32string converted = utf8::decode(converter->convert(utf8::encode(text)), "converted text");
  if (converted.size() != text.size()) return converted;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!in_vocabulary(vocab, converted[i]) && in_vocabulary(vocab, text[i]))
      converted[i] = text[i];
  }
  return converted;
}

std::u32string simplified_characters(const std::u32string& characters) {
  // A line break between characters ends every phrase OpenCC could match across them.
  std::u32string joined;
  for (char32_t c : characters) joined.append({c, U'\n'});
  const std::u32string converted =
      utf8::decode(converter_to("simplified")->convert(utf8::encode(joined)), "converted text");
  std::u32string simplified = characters;
  size_t begin = 0;
  for (char32_t& c : simplified) {
    const size_t end = converted.find(U'\n', begin);
    if (end == std::u32string::npos) break;
    if (end == begin + 1) c = converted[begin];
    begin = end + 1;
  }
  return simplified;
}

}  // namespace rnnkit
