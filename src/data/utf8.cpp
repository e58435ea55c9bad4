#include "rnnkit/utf8.h"

#include <cstdio>

#include "rnnkit/error.h"

namespace rnnkit::utf8 {
namespace {

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// Number of bytes of the sequence a lead byte starts, or 0 for a byte that cannot start one
// (a continuation byte, the always-overlong 0xC0/0xC1, or 0xF5..0xFF which would exceed U+10FFFF).
int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF5) return 4;
  return 0;
}

// Decodes the sequence starting at `pos`; returns its length and sets `code_point`, or returns 0
// when the sequence is invalid (truncated, bad continuation, overlong, surrogate, > U+10FFFF).
size_t decode_one(std::string_view bytes, size_t pos, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(bytes[pos]);
  const int length = sequence_length(lead);
  if (length == 0 || pos + length > bytes.size()) return 0;
  if (length == 1) {
    code_point = lead;
    return 1;
  }
  static constexpr unsigned char kLeadMask[] = {0, 0, 0x1F, 0x0F, 0x07};
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  char32_t value = lead & kLeadMask[length];
  for (int i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[pos + i]);
    if (!is_continuation(byte)) return 0;
    value = (value << 6) | (byte & 0x3F);
  }
  if (value < kMinimum[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  code_point = value;
  return static_cast<size_t>(length);
}

std::string code_point_name(char32_t code_point) {
  char name[16];
  std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(code_point));
  return name;
}

}  // namespace

void for_each_character(std::string_view bytes, std::string_view what,
                        const std::function<void(std::string_view)>& visit) {
  for (size_t pos = 0; pos < bytes.size();) {
    char32_t code_point = 0;
    const size_t length = decode_one(bytes, pos, code_point);
    if (length == 0)
      throw Error(std::string(what) + ": invalid UTF-8 at byte offset " + std::to_string(pos));
    visit(bytes.substr(pos, length));
    pos += length;
  }
}

std::u32string decode(std::string_view bytes, std::string_view what) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    char32_t code_point = 0;
    const size_t length = decode_one(bytes, pos, code_point);
    if (length == 0) {
      throw Error(std::string(what) + ": invalid UTF-8 at byte offset " + std::to_string(pos));
    }
    out.push_back(code_point);
    pos += length;
  }
  return out;
}

size_t find_invalid(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    char32_t code_point = 0;
    const size_t length = decode_one(bytes, pos, code_point);
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

std::string with_replacement(std::string_view bytes) {
  std::string out;
  for (size_t pos = 0; pos < bytes.size();) {
    char32_t code_point = 0;
    const size_t length = decode_one(bytes, pos, code_point);
    if (length == 0) {
      out += "\uFFFD";
      ++pos;
    } else {
      out.append(bytes.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

std::string encode(char32_t code_point) {
  std::string out;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    if (code_point >= 0xD800 && code_point <= 0xDFFF) {
      throw Error("cannot encode the surrogate code point " + code_point_name(code_point) +
                  " as UTF-8");
    }
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point <= 0x10FFFF) {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    throw Error("cannot encode " + code_point_name(code_point) + " as UTF-8: it is above U+10FFFF");
  }
  return out;
}

std::string encode(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t code_point : code_points) out += encode(code_point);
  return out;
}

size_t complete_prefix_length(std::string_view bytes) {
  // Only a sequence that starts within the last three bytes can be unfinished; bytes that can
  // never become valid are let through so that the caller's output never stalls on them.
  const size_t size = bytes.size();
  const size_t stop = size >= 3 ? size - 3 : 0;
  for (size_t i = size; i > stop; --i) {
    const auto byte = static_cast<unsigned char>(bytes[i - 1]);
    if (is_continuation(byte)) continue;
    const int length = sequence_length(byte);
    return (length > 1 && i - 1 + length > size) ? i - 1 : size;
  }
  return size;
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (char32_t c : decode(text, "text")) {
    const bool combining = (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
                           (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F);
    const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
                      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                      (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) ||
                      (c >= 0x20000 && c <= 0x3FFFD);
    width += combining ? 0 : wide ? 2 : 1;
  }
  return width;
}

std::string_view without_byte_order_mark(std::string_view text) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  return text.starts_with(kByteOrderMark) ? text.substr(kByteOrderMark.size()) : text;
}

void check_not_wide_encoding(std::string_view text, const std::string& source) {
  const auto at = [&](size_t i) { return i < text.size() ? text[i] : '\x01'; };
  const bool byte_order_mark = text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
                               text.starts_with(std::string_view("\0\0\xFE\xFF", 4));
  const bool little = at(0) != 0 && at(1) == 0 && at(2) != 0 && at(3) == 0;
  const bool big = at(0) == 0 && at(1) != 0 && at(2) == 0 && at(3) != 0;
  if (byte_order_mark || little || big)
    throw Error(source + ": the file is UTF-16 or UTF-32, not UTF-8; convert it (iconv -f " +
                "UTF-16 -t UTF-8, or save it as \"UTF-8\" in the editor)");
}

}  // namespace rnnkit::utf8
