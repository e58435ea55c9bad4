#pragma once
#include <cstdarg>
#include <cstdio>
#include <string>
#include <string_view>

namespace rnnkit {

// printf into a string as long as the values need: a fixed buffer cuts a number silently (a loss
// or an error of 1e30 printed with %.4f is 36 characters).
[[gnu::format(printf, 1, 2)]] inline std::string formatted(const char* format, ...) {
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  const int length = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string text(length > 0 ? static_cast<size_t>(length) : 0, '\0');
  if (length > 0) std::vsnprintf(text.data(), text.size() + 1, format, again);
  va_end(again);
  return text;
}

// `decimals` decimals, or in scientific notation with as many where those would show no digit of
// the value (an error of 3e-7 as "0.0000") or too many (1e30 as 31 digits): a column of errors in
// the series' own units stays readable at any scale.
inline std::string fixed_or_scientific(double v, int decimals) {
  const double magnitude = v < 0 ? -v : v;
  const bool fixed = v == 0 || !(magnitude == magnitude) || (magnitude >= 1e-3 && magnitude < 1e9);
  return formatted(fixed ? "%.*f" : "%.*e", decimals, v);
}

// "1 token", "0 tokens", "2 tokens": a count and its noun in the number it takes.
inline std::string counted(long long n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

}  // namespace rnnkit
