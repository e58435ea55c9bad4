// The pronunciation table: its parser, and the shipped table's entries for a few characters
// whose modern readings and 中华新韵 groups are known (checked against a dictionary by hand).
#include "rnnkit/rhyme_table.h"

#include <gtest/gtest.h>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

std::string group_of(const RhymeTable& table, char32_t c) {
  const CharacterSound* sound = table.find(c);
  return sound ? table.group_names()[static_cast<size_t>(sound->group)] : "(missing)";
}

TEST(RhymeTable, ParsesLinesAndComments) {
  const RhymeTable table = RhymeTable::parse(
      "# made by hand\n# "
      "columns\n光\tguang1\t唐\t平\n看\tkan4\t寒\t平仄\r\n\n霜\tshuang1\t唐\t平\n",
      "test table");
  EXPECT_EQ(table.provenance(), " made by hand");
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(group_of(table, U'光'), "唐");
  EXPECT_EQ(table.find(U'光')->group, table.find(U'霜')->group);
  EXPECT_EQ(table.find(U'看')->rhyme_tone, kObliqueTone);
  EXPECT_EQ(table.find(U'看')->tones, kLevelTone | kObliqueTone);
  EXPECT_EQ(table.find(U'月'), nullptr);
}

TEST(RhymeTable, RejectsMalformedLinesNamingThem) {
  auto message = [](const char* text) {
    try {
      RhymeTable::parse(text, "t.tsv");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message("光\tguang1\t唐\n").find("t.tsv line 1"), std::string::npos);
  EXPECT_NE(message("#\n光光\tguang1\t唐\t平\n").find("line 2"), std::string::npos);
  EXPECT_NE(message("光\tguang1\t唐\t上\n").find("\"上\""), std::string::npos);
  EXPECT_NE(message("光\tguang\t唐\t平\n").find("tone number"), std::string::npos);
  EXPECT_NE(message("光\tguang1\t\t平\n").find("empty rhyme group"), std::string::npos);
  EXPECT_NE(message("光\tguang1\t唐\t仄\n").find("first reading"), std::string::npos);
  EXPECT_NE(message("光\tguang1\t唐\t平\n光\tguang1\t唐\t平\n").find("twice"), std::string::npos);
}

TEST(RhymeTable, ShippedTableHasTheKnownReadings) {
  const RhymeTable& table = RhymeTable::shipped();
  EXPECT_GT(table.size(), 8000u);
  EXPECT_NE(table.provenance().find("pinyin-pro"), std::string::npos);
  // 光 guāng, 霜 shuāng, 乡 xiāng: 唐; 流 liú, 楼 lóu: 尤; 日 rì: 支 (-i); 儿 ér, 去 qù: 齐.
  for (char32_t c : {U'光', U'霜', U'乡'}) EXPECT_EQ(group_of(table, c), "唐");
  for (char32_t c : {U'流', U'楼'}) EXPECT_EQ(group_of(table, c), "尤");
  EXPECT_EQ(group_of(table, U'日'), "支");
  for (char32_t c : {U'儿', U'去', U'绿'}) EXPECT_EQ(group_of(table, c), "齐");
  EXPECT_EQ(group_of(table, U'月'), "皆");
  EXPECT_EQ(table.find(U'光')->tones, kLevelTone);
  EXPECT_EQ(table.find(U'月')->tones, kObliqueTone);
  // 看 kàn / kān: rhymes by its first reading, either tone in a template.
  EXPECT_EQ(table.find(U'看')->rhyme_tone, kObliqueTone);
  EXPECT_EQ(table.find(U'看')->tones, kLevelTone | kObliqueTone);
}

}  // namespace
}  // namespace rnnkit
