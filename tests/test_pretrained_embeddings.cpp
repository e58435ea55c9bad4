#include "rnnkit/pretrained_embeddings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "error_of.h"
#include "temp_file.h"

namespace rnnkit {
namespace {

using testing::error_of;
using testing::TempFile;

// The vocabulary a b c, rows of E zeros, and the vectors file `text`; returns the rows set.
struct Loaded {
  int64_t found = 0;
  std::vector<float> rows;
};

Loaded load(const std::string& text, int64_t E) {
  const TempFile file("vectors.txt");
  std::ofstream(file.path(), std::ios::binary) << text;
  const Vocab vocab = Vocab::from_tokens({"a", "b", "c"}, TokenLevel::Char, {}, {});
  Embedding embedding(3, E);
  embedding.weight.value.fill(0.0f);
  Loaded loaded;
  loaded.found = load_pretrained_embeddings(embedding, vocab, file.path());
  loaded.rows.assign(embedding.weight.value.data(), embedding.weight.value.data() + 3 * E);
  return loaded;
}

TEST(PretrainedEmbeddings, ReadsGloveAndWord2vecLinesIntoTheirTokensRows) {
  const Loaded glove = load("b 1 2\nzz 5 5\na -0.5 0.25\n", 2);
  EXPECT_EQ(glove.found, 2);
  EXPECT_EQ(glove.rows, (std::vector<float>{-0.5f, 0.25f, 1, 2, 0, 0}));
  const Loaded word2vec = load("3 2\nc 7 8\n", 2);
  EXPECT_EQ(word2vec.found, 1);
  EXPECT_EQ(word2vec.rows, (std::vector<float>{0, 0, 0, 0, 7, 8}));
}

// One dimension: every vector line has two fields, like word2vec's header; only "count E" of
// integers is one (the first vector was skipped as a header).
TEST(PretrainedEmbeddings, OneDimensionalVectorsAreNotTakenForAHeader) {
  const Loaded loaded = load("a 0.5\nb 2\n", 1);
  EXPECT_EQ(loaded.found, 2);
  EXPECT_EQ(loaded.rows, (std::vector<float>{0.5f, 2, 0}));
  EXPECT_EQ(load("100 1\nc 3\n", 1).rows, (std::vector<float>{0, 0, 3}));
  // A header of another dimension is named as such, not as a vector of one value.
  EXPECT_NE(error_of([] { load("2 3\na 1 2 3\n", 4); })
                .find("line 1: word2vec's header says the vectors have 3 dimensions, but the "
                      "embedding has 4"),
            std::string::npos);
}

TEST(PretrainedEmbeddings, AByteOrderMarkIsNotPartOfTheFirstWord) {
  const Loaded loaded = load(
      "\xEF\xBB\xBF"
      "a 1 2\nb 3 4\n",
      2);
  EXPECT_EQ(loaded.found, 2);
  EXPECT_EQ(loaded.rows, (std::vector<float>{1, 2, 3, 4, 0, 0}));
}

TEST(PretrainedEmbeddings, AWordListedTwiceKeepsItsFirstVectorAndCountsOnce) {
  const Loaded loaded = load("a 1 2\na 3 4\n", 2);
  EXPECT_EQ(loaded.found, 1);
  EXPECT_EQ(loaded.rows, (std::vector<float>{1, 2, 0, 0, 0, 0}));
}

TEST(PretrainedEmbeddings, ValuesAreFiniteFloats) {
  // Below a float's range: 0 or a subnormal, as any reader of text numbers has it.
  EXPECT_EQ(load("a 1e-46 1\n", 2).rows[0], 0.0f);
  EXPECT_NE(error_of([] { load("a 1e39 1\n", 2); }).find("line 1: '1e39' is beyond a float"),
            std::string::npos);
  EXPECT_NE(error_of([] { load("a nan 1\n", 2); }).find("line 1: 'nan' is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_of([] { load("b 1 2\na 1,5 1\n", 2); }).find("line 2: '1,5' is not a number"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              load("a 1 2 3\n", 2);
            }).find("line 1: 3 values, but the embedding has 2 dimensions"),
            std::string::npos);
}

TEST(PretrainedEmbeddings, ADirectoryOrAUtf16FileIsAnError) {
  const Vocab vocab = Vocab::from_tokens({"a"}, TokenLevel::Char, {}, {});
  Embedding embedding(1, 2);
  const std::string directory = std::filesystem::temp_directory_path().string();
  EXPECT_NE(error_of([&] { load_pretrained_embeddings(embedding, vocab, directory); }), "");
  EXPECT_NE(error_of([] {
              load(std::string("\xFF\xFE"
                               "a\0 \0"
                               "1\0",
                               8),
                   1);
            }).find("UTF-16 or UTF-32"),
            std::string::npos);
}

}  // namespace
}  // namespace rnnkit
