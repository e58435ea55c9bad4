#pragma once
#include <string>
#include <string_view>

namespace rnnkit {

// `text` in double quotes for an error message: quotes, backslashes and control characters
// escaped (\n, \t, \r, else \xNN) and characters that print as nothing as \uXXXX (a zero-width
// space \u200B), so that a NUL cannot end the message where it is printed and a token or cell of
// blanks stays visible. A text longer than kQuotedBytes is cut, its length said: "abc..." (2000
// bytes).
std::string quote(std::string_view text);
constexpr size_t kQuotedBytes = 80;

}  // namespace rnnkit
