#include "data/lowercase.h"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/stringpiece.h>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

void append_lowercase(std::string_view piece, std::string& out) {
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode status = U_ZERO_ERROR;
  icu::CaseMap::utf8ToLower("", 0,
                            icu::StringPiece(piece.data(), static_cast<int32_t>(piece.size())),
                            sink, nullptr, status);
  if (U_FAILURE(status))
    throw Error(std::string("cannot lower-case the text: ") + u_errorName(status));
}

char32_t lower_by_table(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F) {
    // Latin Extended-A pairs capitals with the next code point, on even codes outside
    // U+0139..U+0148 and U+0179..U+017E, on odd codes inside them.
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
    if (c == 0x178) return 0xFF;
    const bool odd_pairs = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    return ((c % 2 == 1) == odd_pairs) ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;  // Greek
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x410 && c <= 0x42F) return c + 32;  // Cyrillic
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

}  // namespace

std::string lowercase(std::string_view text, size_t max_piece) {
  std::string out;
  out.reserve(text.size());
  while (text.size() > max_piece) {
    const std::string_view window = text.substr(0, max_piece);
    const size_t line_end = window.rfind('\n');
    const size_t cut =
        line_end != std::string_view::npos ? line_end + 1 : utf8::complete_prefix_length(window);
    append_lowercase(text.substr(0, cut), out);
    text.remove_prefix(cut);
  }
  append_lowercase(text, out);
  return out;
}

std::string lowercase_by_table(std::string_view text) {
  std::u32string code_points = utf8::decode(text, "text");
  for (char32_t& c : code_points) c = lower_by_table(c);
  return utf8::encode(code_points);
}

}  // namespace rnnkit
