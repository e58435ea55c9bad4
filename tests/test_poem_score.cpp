// score_poems on hand-made poems whose answers were counted by hand. Tones and rhyme groups are
// those of the shipped table (models/tang_rhymes.tsv), read off it by hand:
//   床 前 明 光 霜 乡 头 低 思 流 楼 天 花 level; 月 是 上 故 地 举 望 尽 oblique; 风 落 疑 either;
//   光 霜 乡: 唐; 流 楼: 尤; 天: 寒; 花: 麻.
#include "rnnkit/poem_score.h"

#include <gtest/gtest.h>

#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

std::vector<std::u32string> poems(std::initializer_list<const char*> texts) {
  std::vector<std::u32string> result;
  for (const char* text : texts) result.push_back(utf8::decode(text));
  return result;
}

PoemScores score(std::initializer_list<const char*> texts, const PoemCopyIndex* index = nullptr) {
  return score_poems(poems(texts), RhymeTable::shipped(), index);
}

void expect_share(const PoemScores::Share& share, int64_t hits, int64_t total) {
  EXPECT_EQ(share.hits, hits);
  EXPECT_EQ(share.total, total);
}

TEST(PoemScore, FormCountsOnlyRegularPoems) {
  const PoemScores s = score({
      "山高月小，水落石出。",                  // 4 characters a line
      "床前明月光，疑是地上霜",                // no final mark
      "床前明月光。疑是地上霜，",              // marks swapped
      "床前明月光，疑是地上霜。举头望明月，",  // odd number of lines
      "床前明月光，疑是地上霜！",              // ！ ends a couplet too
      "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
  });
  EXPECT_EQ(s.poems, 6);
  expect_share(s.form, 2, 6);
}

TEST(PoemScore, StaticNightThoughts) {
  const PoemScores s = score({"床前明月光，疑是地上霜。举头望明月，低头思故乡。"});
  expect_share(s.rhyme, 2, 2);  // 霜, 乡: both 唐, level
  // Bound characters (2nd, 4th, 5th) 前月光 是上霜 头明月 头故乡 = 平仄平 仄仄平 平平仄 平仄平;
  // the best template is 平起 with a rhyming first line, 平仄平 仄平平 仄平仄 平仄平: 10 of 12.
  expect_share(s.tones, 10, 12);
  expect_share(s.repeated_characters, 3, 20);  // 明 月 头
  expect_share(s.repeated_lines, 0, 4);
  expect_share(s.distinct_bigrams, 15, 16);  // 明月 twice
  EXPECT_FALSE(s.copying);
}

TEST(PoemScore, RhymeIsTheMostCommonLevelGroupOfTheEvenLines) {
  // 流 (尤) and 天 (寒) tie: the earlier, 尤, is the poem's rhyme.
  expect_share(score({"白日依山尽，黄河入海流。欲穷千里目，更上一层天。"}).rhyme, 1, 2);
  // 尽 is oblique: no rhyme at all; 楼 流 (尤) outnumber 天 (寒).
  expect_share(score({"白日依山尽，黄河入海尽。"}).rhyme, 0, 1);
  expect_share(score({"一，楼。二，天。三，流。"}).rhyme, 2, 3);
}

TEST(PoemScore, TraditionalPoemScoresAsItsSimplifiedForm) {
  // The table holds simplified characters; 辭 雲 還 兩 聲 輕 過 萬 are found as 辞 云 还 两 声 轻
  // 过 万, as the writer finds a traditional model's characters.
  const PoemScores simplified =
      score({"朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"});
  const PoemScores traditional =
      score({"朝辭白帝彩雲間，千里江陵一日還。兩岸猿聲啼不住，輕舟已過萬重山。"});
  expect_share(simplified.tones, 16, 16);
  expect_share(traditional.tones, 16, 16);
  // 还's first reading is hai2 (开): only 山 rhymes.
  expect_share(simplified.rhyme, 1, 2);
  expect_share(traditional.rhyme, 1, 2);
}

TEST(PoemScore, OnlyATraditionalPoemIsReadBySimplifiedForms) {
  // 於 is in the table (姑, level) and simplifies on its own to 于 (齐, level); 无 is 姑, 無 is
  // not in the table. A simplified poem keeps 於 as written: both even lines rhyme on 姑.
  expect_share(score({"头，於。二，无。"}).rhyme, 2, 2);
  // A traditional one (頭 and 無 are in the table only as 头 and 无) reads every character by
  // its simplified form, 於 as 于, as the writer reads a traditional model's vocabulary: 姑
  // rhymes twice, 于 not.
  expect_share(score({"頭，無。二，無。三，於。"}).rhyme, 2, 3);
}

TEST(PoemScore, RepetitionAndDistinctBigramsAcrossPoems) {
  const PoemScores s = score({"春风吹落花，春风吹落花。", "落花春风吹。"});
  expect_share(s.repeated_lines, 1, 3);
  // The first poem repeats its 5 characters; the second, by itself, none.
  expect_share(s.repeated_characters, 5, 10 + 5);
  expect_share(s.distinct_bigrams, 5, 12);  // 春风 风吹 吹落 落花 花春
  // 风 and 落 take either tone, so only the line ends (花, level) can miss: a template with a
  // rhyming first line matches all 6 bound characters.
  expect_share(s.tones, 6, 6);
}

TEST(PoemScore, CopyingCountsVerbatimLinesAndTheLongestSharedText) {
  const PoemCopyIndex index(poems({"床前明月光，疑是地上霜。举头望明月，低头思故乡。",
                                   "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"}));
  const PoemScores s = score(
      {"床前明月光，黄河入海流。春风吹落花，更上一层天。", "低头思故乡。白日依山尽。"}, &index);
  ASSERT_TRUE(s.copying);
  expect_share(s.copied_lines, 4, 6);  // 床前明月光 黄河入海流 低头思故乡 白日依山尽
  // Poem 1: "，黄河入海流。" (7) from the second training poem. Poem 2: "低头思故乡。" (6);
  // the 11 characters through 白日依山尽 would span two training poems.
  EXPECT_EQ(s.longest_copy, 7);
  EXPECT_EQ(s.longest_copy_poem, 1);
  EXPECT_EQ(s.longest_copy_sum, 7 + 6);
}

TEST(PoemScore, SplitsPoemsByLineOrByBlock) {
  const std::string text =
      "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n春风吹落花，春风吹落花。\n";
  EXPECT_EQ(split_poems(text, true, "t").size(), 2u);
  EXPECT_EQ(split_poems(text, true, "t")[0], U"床前明月光，疑是地上霜。举头望明月，低头思故乡。");
  EXPECT_EQ(split_poems(text, false, "t").size(), 3u);
  EXPECT_TRUE(split_poems(" \n\r\n", false, "t").empty());
}

}  // namespace
}  // namespace rnnkit
