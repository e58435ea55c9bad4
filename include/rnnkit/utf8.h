#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace rnnkit::utf8 {

// Decodes UTF-8 into code points (1- to 4-byte sequences). Invalid input (bad lead or
// continuation byte, overlong form, surrogate, > U+10FFFF, truncated sequence) throws Error
// "<what>: invalid UTF-8 at byte offset N".
std::u32string decode(std::string_view bytes, std::string_view what = "input");
// Hands each character's bytes to visit in order, with decode()'s Error for invalid input (at
// the first invalid sequence, after the characters before it).
void for_each_character(std::string_view bytes, std::string_view what,
                        const std::function<void(std::string_view)>& visit);

// Byte offset of the first invalid sequence, or npos when the text is valid UTF-8.
size_t find_invalid(std::string_view bytes);
// `bytes` with each invalid byte replaced by U+FFFD: a name (a file system path may hold any
// bytes) that can be shown and written into JSON, which holds only UTF-8 text.
std::string with_replacement(std::string_view bytes);

std::string encode(char32_t code_point);
std::string encode(std::u32string_view code_points);

// Length of the longest prefix of `bytes` that ends on a character boundary; lets a stream of
// bytes be printed without ever splitting a character.
size_t complete_prefix_length(std::string_view bytes);

// `text` without a leading byte-order mark (U+FEFF, which Windows editors and spreadsheets write
// first): a file's first line then reads as the same characters it shows.
std::string_view without_byte_order_mark(std::string_view text);

// Error "<source>: the file is UTF-16 or UTF-32, not UTF-8 ..." for a file saved in a wide
// encoding (Windows' "Unicode Text", PowerShell 5's redirection): its byte order mark, or a NUL
// beside each of its first two ASCII characters. Its bytes would otherwise read as invalid UTF-8
// at the first byte, or as names cut at their first NUL.
void check_not_wide_encoding(std::string_view text, const std::string& source);

// The terminal columns valid UTF-8 `text` takes, for aligning tables: 2 for each East Asian wide
// or full-width character and emoji, 0 for a combining mark, 1 for any other code point (an
// approximation of wcwidth that needs no locale).
size_t display_width(std::string_view text);

}  // namespace rnnkit::utf8
