// The regulated-verse templates against the textbook patterns (王力《诗词格律》), written out
// here by hand.
#include "rnnkit/tonal_pattern.h"

#include <gtest/gtest.h>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

// "平平仄仄平，..." for a template.
std::u32string spelled(const std::vector<std::vector<uint8_t>>& lines) {
  std::u32string text;
  for (size_t k = 0; k < lines.size(); ++k) {
    for (uint8_t tone : lines[k]) text += tone == kLevelTone ? U'平' : U'仄';
    text += k % 2 == 0 ? U'，' : U'。';
  }
  return text;
}

TEST(TonalPattern, FiveCharacterQuatrains) {
  EXPECT_EQ(spelled(tonal_template(5, 4, {kObliqueTone, false})),
            U"仄仄平平仄，平平仄仄平。平平平仄仄，仄仄仄平平。");
  EXPECT_EQ(spelled(tonal_template(5, 4, {kObliqueTone, true})),
            U"仄仄仄平平，平平仄仄平。平平平仄仄，仄仄仄平平。");
  EXPECT_EQ(spelled(tonal_template(5, 4, {kLevelTone, false})),
            U"平平平仄仄，仄仄仄平平。仄仄平平仄，平平仄仄平。");
  EXPECT_EQ(spelled(tonal_template(5, 4, {kLevelTone, true})),
            U"平平仄仄平，仄仄仄平平。仄仄平平仄，平平仄仄平。");
}

TEST(TonalPattern, SevenCharacterQuatrainsAndRegulatedVerse) {
  EXPECT_EQ(spelled(tonal_template(7, 4, {kLevelTone, true})),
            U"平平仄仄仄平平，仄仄平平仄仄平。仄仄平平平仄仄，平平仄仄仄平平。");
  EXPECT_EQ(spelled(tonal_template(7, 4, {kObliqueTone, true})),
            U"仄仄平平仄仄平，平平仄仄仄平平。平平仄仄平平仄，仄仄平平仄仄平。");
  EXPECT_EQ(spelled(tonal_template(7, 4, {kObliqueTone, false})),
            U"仄仄平平平仄仄，平平仄仄仄平平。平平仄仄平平仄，仄仄平平仄仄平。");
  EXPECT_EQ(spelled(tonal_template(5, 8, {kLevelTone, false})),
            U"平平平仄仄，仄仄仄平平。仄仄平平仄，平平仄仄平。"
            U"平平平仄仄，仄仄仄平平。仄仄平平仄，平平仄仄平。");
  EXPECT_EQ(spelled(tonal_template(7, 8, {kLevelTone, true})),
            U"平平仄仄仄平平，仄仄平平仄仄平。仄仄平平平仄仄，平平仄仄仄平平。"
            U"平平仄仄平平仄，仄仄平平仄仄平。仄仄平平平仄仄，平平仄仄仄平平。");
}

TEST(TonalPattern, BoundPositionsAndBadForms) {
  const std::vector<bool> five = {false, true, false, true, true};
  const std::vector<bool> seven = {false, true, false, true, false, true, true};
  for (int p = 0; p < 5; ++p) EXPECT_EQ(is_bound_position(5, p), five[p]) << p;
  for (int p = 0; p < 7; ++p) EXPECT_EQ(is_bound_position(7, p), seven[p]) << p;
  EXPECT_THROW(tonal_template(6, 4, {}), Error);
  EXPECT_THROW(tonal_template(5, 0, {}), Error);
}

}  // namespace
}  // namespace rnnkit
