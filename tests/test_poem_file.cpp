#include "rnnkit/poem_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "error_of.h"
#include "rnnkit/error.h"
#include "temp_file.h"

namespace rnnkit {
namespace {

using testing::error_of;
using testing::TempFile;

// A poem model's vocabulary of the simplified corpus: 0 <pad>, 1 <START>, 2 <EOP>, then 床 头
// 望 月 ， 。 宫 徵.
Vocab poem_vocab() {
  SpecialTokens specials;
  specials.pad = "<pad>";
  specials.bos = "<START>";
  specials.eos = "<EOP>";
  Normalization simplified;
  simplified.script = "simplified";
  return Vocab::from_tokens(
      {"<pad>", "<START>", "<EOP>", "床", "头", "望", "月", "，", "。", "宫", "徵"},
      TokenLevel::Char, specials, simplified);
}

std::string written(const TempFile& file, const std::string& text) {
  std::ofstream(file.path(), std::ios::binary) << text;
  return file.path();
}

TEST(EncodePoemFile, ReadsEachLineAsTheModelReadsAStartLine) {
  TempFile file("poems.txt");
  // A traditional poem (頭) in the model's script, ASCII marks as full-width ones, a blank line
  // skipped, and 宫徵 as written: the vocabulary holds it (t2s would make it 宫征).
  const auto poems = encode_poem_file(written(file, "床頭望月,\n\n宫徵。\r\n"), poem_vocab());
  EXPECT_EQ(poems, (std::vector<std::vector<int32_t>>{{1, 3, 4, 5, 6, 7, 2}, {1, 9, 10, 8, 2}}));
}

TEST(EncodePoemFile, ACharacterTheVocabularyLacksIsNamedByItsLine) {
  TempFile file("unknown.txt");
  const std::string path = written(file, "床头。\n望星。\n");
  EXPECT_EQ(error_of([&] { encode_poem_file(path, poem_vocab()); }),
            path +
                ", line 2: 1 character is not in the vocabulary (which has no unk token): "
                "\"星\"");
  Vocab text_model = Vocab::from_tokens({"a"}, TokenLevel::Char, {}, {});
  EXPECT_NE(error_of([&] { encode_poem_file(path, text_model); }).find("needs a poem model"),
            std::string::npos);
}

}  // namespace
}  // namespace rnnkit
