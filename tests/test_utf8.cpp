#include "rnnkit/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

std::string error_message(std::string_view bytes, std::string_view what = "input") {
  try {
    utf8::decode(bytes, what);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Utf8, DecodesOneToFourByteSequences) {
  // Byte patterns from the UTF-8 table: U+0041 'A', U+00E9 'é', U+4E2D '中', U+20000 (CJK Ext B),
  // U+1F600 (emoji).
  EXPECT_EQ(utf8::decode("A\xC3\xA9\xE4\xB8\xAD\xF0\xA0\x80\x80\xF0\x9F\x98\x80"),
            (std::u32string{0x41, 0xE9, 0x4E2D, 0x20000, 0x1F600}));
  EXPECT_EQ(utf8::decode(""), std::u32string());
  EXPECT_EQ(utf8::decode(std::string_view("a\0b", 3)), (std::u32string{'a', 0, 'b'}));
}

TEST(Utf8, DecodesTheBoundaryCodePoints) {
  EXPECT_EQ(utf8::decode("\x7F"), std::u32string(1, 0x7F));
  EXPECT_EQ(utf8::decode("\xC2\x80"), std::u32string(1, 0x80));
  EXPECT_EQ(utf8::decode("\xDF\xBF"), std::u32string(1, 0x7FF));
  EXPECT_EQ(utf8::decode("\xE0\xA0\x80"), std::u32string(1, 0x800));
  EXPECT_EQ(utf8::decode("\xED\x9F\xBF"), std::u32string(1, 0xD7FF));
  EXPECT_EQ(utf8::decode("\xEE\x80\x80"), std::u32string(1, 0xE000));
  EXPECT_EQ(utf8::decode("\xEF\xBF\xBF"), std::u32string(1, 0xFFFF));
  EXPECT_EQ(utf8::decode("\xF0\x90\x80\x80"), std::u32string(1, 0x10000));
  EXPECT_EQ(utf8::decode("\xF4\x8F\xBF\xBF"), std::u32string(1, 0x10FFFF));
}

TEST(Utf8, EncodesTheBoundaryCodePoints) {
  EXPECT_EQ(utf8::encode(U'\x7F'), "\x7F");
  EXPECT_EQ(utf8::encode(char32_t{0x80}), "\xC2\x80");
  EXPECT_EQ(utf8::encode(char32_t{0x7FF}), "\xDF\xBF");
  EXPECT_EQ(utf8::encode(char32_t{0x800}), "\xE0\xA0\x80");
  EXPECT_EQ(utf8::encode(char32_t{0xFFFF}), "\xEF\xBF\xBF");
  EXPECT_EQ(utf8::encode(char32_t{0x10000}), "\xF0\x90\x80\x80");
  EXPECT_EQ(utf8::encode(char32_t{0x20000}), "\xF0\xA0\x80\x80");
  EXPECT_EQ(utf8::encode(char32_t{0x10FFFF}), "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(utf8::encode(std::u32string{0x41, 0xE9, 0x4E2D, 0x20000}),
            "A\xC3\xA9\xE4\xB8\xAD\xF0\xA0\x80\x80");
}

TEST(Utf8, RefusesToEncodeSurrogatesAndCodePointsBeyondUnicode) {
  EXPECT_THROW(utf8::encode(char32_t{0xD800}), Error);
  EXPECT_THROW(utf8::encode(char32_t{0xDFFF}), Error);
  EXPECT_THROW(utf8::encode(char32_t{0x110000}), Error);
}

TEST(Utf8, ReportsTheByteOffsetOfTheFirstInvalidSequence) {
  struct Case {
    std::string bytes;
    size_t offset;
  };
  const Case cases[] = {
      {"ab\x80", 2},            // continuation byte without a lead
      {"a\xC0\x80", 1},         // overlong 2-byte NUL
      {"\xC1\xBF", 0},          // overlong 2-byte U+007F
      {"xy\xE0\x80\xAF", 2},    // overlong 3-byte '/'
      {"\xE0\x9F\xBF", 0},      // overlong 3-byte U+07FF
      {"\xF0\x82\x82\xAC", 0},  // overlong 4-byte euro sign
      {"\xF0\x8F\xBF\xBF", 0},  // overlong 4-byte U+FFFF
      {"abc\xED\xA0\x80", 3},   // surrogate U+D800
      {"\xED\xBF\xBF", 0},      // surrogate U+DFFF
      {"\xF4\x90\x80\x80", 0},  // U+110000
      {"\xF5\x80\x80\x80", 0},  // lead byte beyond U+10FFFF
      {"ok\xFF", 2},            // never a UTF-8 byte
      {"ok\xE4\xB8", 2},        // truncated 3-byte sequence
      {"\xF0\x9F\x98", 0},      // truncated 4-byte sequence
      {"\xE4\x41\xAD", 0},      // ASCII where a continuation belongs
      {"\xE4\xB8\xAD\xE4\xB8"
       "A",
       3},                                  // valid '中' then a broken sequence
      {"\xF0\xA0\x80\x80\xF0\xA0\x80", 4},  // valid U+20000 then a truncated one
  };
  for (const Case& c : cases) {
    EXPECT_EQ(utf8::find_invalid(c.bytes), c.offset) << c.bytes;
    EXPECT_EQ(error_message(c.bytes),
              "input: invalid UTF-8 at byte offset " + std::to_string(c.offset));
  }
  EXPECT_EQ(error_message("ab\x80", "poem.txt"), "poem.txt: invalid UTF-8 at byte offset 2");
}

TEST(Utf8, FindInvalidReturnsNposForValidText) {
  EXPECT_EQ(utf8::find_invalid(""), std::string_view::npos);
  EXPECT_EQ(utf8::find_invalid("plain ASCII\n"), std::string_view::npos);
  EXPECT_EQ(utf8::find_invalid("\xE5\xBA\x8A\xE5\x89\x8D\xF0\xA0\x80\x80"), std::string_view::npos);
}

TEST(Utf8, WithReplacementMarksEachInvalidByte) {
  EXPECT_EQ(utf8::with_replacement("caf\xE9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(utf8::with_replacement("\xE5\xBA"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // a cut 床
  EXPECT_EQ(utf8::with_replacement("\xE5\xBA\x8A ok"), "\xE5\xBA\x8A ok");
}

TEST(Utf8, CompletePrefixLengthHoldsBackAnUnfinishedCharacter) {
  EXPECT_EQ(utf8::complete_prefix_length(""), 0u);
  EXPECT_EQ(utf8::complete_prefix_length("abc"), 3u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xE4\xB8\xAD"), 4u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xE4\xB8"), 1u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xE4"), 1u);
  EXPECT_EQ(utf8::complete_prefix_length("\xC3"), 0u);
  EXPECT_EQ(utf8::complete_prefix_length("\xF0\xA0\x80"), 0u);
  EXPECT_EQ(utf8::complete_prefix_length("x\xF0\xA0\x80\x80"), 5u);
  EXPECT_EQ(utf8::complete_prefix_length("x\xF0\xA0\x80\x80\xF0"), 5u);
  // Bytes that can never complete a character are let through rather than held forever.
  EXPECT_EQ(utf8::complete_prefix_length("ab\x80"), 3u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xFF"), 2u);
}

TEST(Utf8, StreamingByteByByteNeverSplitsACharacter) {
  const std::string text = "A\xC3\xA9\xE4\xB8\xAD\xF0\xA0\x80\x80z\xF0\x9F\x98\x80";
  std::string pending, printed;
  for (char byte : text) {
    pending.push_back(byte);
    const size_t ready = utf8::complete_prefix_length(pending);
    const std::string piece = pending.substr(0, ready);
    EXPECT_EQ(utf8::find_invalid(piece), std::string_view::npos);
    printed += piece;
    pending.erase(0, ready);
  }
  EXPECT_TRUE(pending.empty());
  EXPECT_EQ(printed, text);
}

TEST(Utf8, DisplayWidthCountsColumnsNotBytes) {
  EXPECT_EQ(utf8::display_width("yes"), 3u);
  EXPECT_EQ(utf8::display_width("tr\xC3\xA8s bon"), 8u);           // è: 2 bytes, 1 column
  EXPECT_EQ(utf8::display_width("e\xCC\x81"), 1u);                 // e + combining acute
  EXPECT_EQ(utf8::display_width("\xE6\x98\xA5\xE5\xA4\xA9"), 4u);  // 春天
  EXPECT_EQ(utf8::display_width("\xF0\x9F\x98\x80 ok"), 5u);       // 😀 ok
  EXPECT_EQ(utf8::display_width("\xEF\xBC\x8C"), 2u);              // full-width comma
}

}  // namespace
}  // namespace rnnkit
