#include <gtest/gtest.h>

#include "rnnkit/error.h"
#include "rnnkit/script_converter.h"

namespace rnnkit {
namespace {

// Expected conversions are standard character correspondences (牀/床, 舉/举, 頭/头, 學/学, 習/习,
// 鄉/乡), also checked with the opencc command line, not taken from this code.
TEST(ScriptConverter, TraditionalToSimplified) {
  const ScriptConverter t2s = ScriptConverter::to_simplified();
  EXPECT_EQ(t2s.convert("牀前看月光"), "床前看月光");
  EXPECT_EQ(t2s.convert("舉頭"), "举头");
  EXPECT_EQ(t2s.convert("牀前看月光，疑是地上霜。舉頭望山月，低頭思故鄉。"),
            "床前看月光，疑是地上霜。举头望山月，低头思故乡。");
}

TEST(ScriptConverter, SimplifiedToTraditional) {
  const ScriptConverter s2t = ScriptConverter::to_traditional();
  EXPECT_EQ(s2t.convert("举头"), "舉頭");
  EXPECT_EQ(s2t.convert("学习"), "學習");
}

TEST(ScriptConverter, KeepsPunctuationAsciiAndCharactersOutsideTheBmp) {
  const ScriptConverter t2s = ScriptConverter::to_simplified();
  // U+20000 (4-byte UTF-8) has no simplified form and must come through intact.
  EXPECT_EQ(t2s.convert("\U00020000頭，ab 1。"), "\U00020000头，ab 1。");
  EXPECT_EQ(t2s.convert(""), "");
}

TEST(ScriptConverter, ConvertsAroundNulsAndKeepsThem) {
  const ScriptConverter t2s = ScriptConverter::to_simplified();
  using namespace std::string_literals;
  EXPECT_EQ(t2s.convert("牀\0舉頭"s), "床\0举头"s);
  EXPECT_EQ(t2s.convert("\0牀\0\0"s), "\0床\0\0"s);
}

TEST(ScriptConverter, SimplifiedCharactersConvertsEachCharacterOnItsOwn) {
  EXPECT_EQ(simplified_characters(U"風樓長東鄉來鳥\U00020000a，"), U"风楼长东乡来鸟\U00020000a，");
  EXPECT_EQ(simplified_characters(U""), U"");
}

TEST(ScriptConverter, CopiesShareTheDictionaries) {
  const ScriptConverter original = ScriptConverter::to_simplified();
  const ScriptConverter copy = original;
  EXPECT_EQ(copy.convert("舉"), "举");
  EXPECT_EQ(copy.config(), "t2s.json");
}

TEST(ScriptConverter, MissingConfigIsAnErrorNamingIt) {
  try {
    ScriptConverter("no_such_config.json");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_config.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("OpenCC"), std::string::npos) << e.what();
  }
}

TEST(ScriptConverter, InvalidUtf8IsAnErrorWithTheOffset) {
  const ScriptConverter t2s = ScriptConverter::to_simplified();
  try {
    t2s.convert("ab\xff");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("byte offset 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rnnkit
