#include "rnnkit/option_table.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

std::string number_text(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e18) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string range_text(const OptionCheck& c) {
  const bool low = std::isfinite(c.min), high = std::isfinite(c.max);
  if (low && high)
    return std::string(c.min_exclusive ? "in (" : "in [") + number_text(c.min) + ", " +
           number_text(c.max) + (c.max_exclusive ? ")" : "]");
  if (low) return std::string(c.min_exclusive ? "> " : ">= ") + number_text(c.min);
  if (high) return std::string(c.max_exclusive ? "< " : "<= ") + number_text(c.max);
  return "finite";
}

}  // namespace

std::string option_error(const std::string& flag, const OptionCheck& check, double value) {
  const bool low = check.min_exclusive ? value > check.min : value >= check.min;
  const bool high = check.max_exclusive ? value < check.max : value <= check.max;
  if (std::isfinite(value) && low && high) return "";
  // inf is > 0: the range alone would not say what is wrong with it.
  return flag + " must be " + (std::isfinite(value) ? "" : "a finite number ") + range_text(check) +
         ", not " + number_text(value);
}

std::string option_error(const std::string& flag, const OptionCheck& check,
                         const std::string& value) {
  if (check.choices.empty() ||
      std::find(check.choices.begin(), check.choices.end(), value) != check.choices.end())
    return "";
  std::string list;
  for (size_t i = 0; i < check.choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 == check.choices.size() ? " or " : ", ") + check.choices[i];
  return flag + " must be " + list + ", not \"" + value + "\"";
}

std::string not_utf8_error(const std::string& flag, const std::string& value) {
  const size_t bad = utf8::find_invalid(value);
  if (bad == std::string::npos) return "";
  return flag + " \"" + utf8::with_replacement(value) + "\" is not UTF-8 text (byte " +
         formatted("0x%02X", static_cast<unsigned char>(value[bad])) + " at offset " +
         std::to_string(bad) + "); a training run keeps its options as UTF-8 JSON in state.bin: " +
         "rename the file or directory";
}

void throw_option_error(const std::string& message) {
  throw Error(message);
}

}  // namespace rnnkit
