#include "data/quoted.h"

#include <cstdio>

#include "rnnkit/utf8.h"

namespace rnnkit {

namespace {

// Characters that print as nothing (soft hyphen, zero-width spaces and joiners, direction marks,
// line and paragraph separators, word joiner, byte order mark).
bool invisible(char32_t c) {
  return c == 0xAD || (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

// The code point of the two- or three-byte UTF-8 sequence at `text`, when it is one (where the
// invisible characters are), else 0.
char32_t two_or_three_byte_character(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  if ((byte(0) & 0xE0) == 0xC0 && continuation(1))
    return (char32_t{byte(0) & 0x1Fu} << 6) | (byte(1) & 0x3Fu);
  if ((byte(0) & 0xF0) == 0xE0 && continuation(1) && continuation(2))
    return (char32_t{byte(0) & 0x0Fu} << 12) | (char32_t{byte(1) & 0x3Fu} << 6) | (byte(2) & 0x3Fu);
  return 0;
}

}  // namespace

std::string quote(std::string_view whole) {
  // A whole character last: a megabyte cell must not become a megabyte line of error.
  const bool cut = whole.size() > kQuotedBytes;
  const std::string_view token =
      cut ? whole.substr(0, utf8::complete_prefix_length(whole.substr(0, kQuotedBytes))) : whole;
  std::string out = "\"";
  for (size_t i = 0; i < token.size(); ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0xC0) {
      const char32_t character = two_or_three_byte_character(token.substr(i));
      if (invisible(character)) {
        char escaped[12];
        std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(character));
        out += escaped;
        i += character < 0x800 ? 1 : 2;
        continue;
      }
    }
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02X", c);
          out += escaped;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + (cut ? "...\" (" + std::to_string(whole.size()) + " bytes)" : "\"");
}

}  // namespace rnnkit
