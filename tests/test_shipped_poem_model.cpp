// The poem model shipped in models/ (trained by the command in docs/RESULTS.md): its held-out
// perplexity on tests/fixtures/tang_valid_sample.txt (the first 200 poems of the held-out split
// of `rnnkit poems prepare`) is within 1% of the figure recorded in docs/RESULTS.md when the
// model was made, and the poems it writes keep their form.
#include <gtest/gtest.h>

#include "rnnkit/evaluate.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/poem_writer.h"
#include "shipped_poem_model.h"

namespace rnnkit {
namespace {

// Measured with `rnnkit eval --poems tests/fixtures/tang_valid_sample.txt` right after training
// and recorded in docs/RESULTS.md ("The shipped model").
constexpr double kRecordedSamplePerplexity = 119.27;

const std::string& kModel = testing::kShippedPoemModel;

TEST(ShippedPoemModel, HeldOutPerplexityMatchesTheRecordedFigure) {
  LoadedLanguageModel loaded = load_language_model(kModel);
  ASSERT_TRUE(loaded.vocab);
  const Vocab& vocab = *loaded.vocab;
  const auto seqs = testing::tang_valid_sample(vocab);
  ASSERT_EQ(seqs.size(), 200u);
  Perplexity p = evaluate_sequences(*loaded.model, seqs, *vocab.pad_id());
  EXPECT_NEAR(p.perplexity(), kRecordedSamplePerplexity, 0.01 * kRecordedSamplePerplexity);
}

TEST(ShippedPoemModel, ContinuationsAndAcrosticsKeepTheirForm) {
  LoadedLanguageModel loaded = load_language_model(kModel);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    PoemRequest start;
    start.start = "床前明月光";
    start.sampling.seed = seed;
    Poem poem = write_poem(*loaded.model, *loaded.vocab, start);
    EXPECT_EQ(check_poem_form(poem, 5, 4), "") << poem.text();
    EXPECT_EQ(poem.couplets.at(0).substr(0, std::string("床前明月光").size()), "床前明月光");
    PoemRequest acrostic;
    acrostic.acrostic = "春夏秋冬";
    acrostic.sampling.seed = seed;
    Poem heads = write_poem(*loaded.model, *loaded.vocab, acrostic);
    EXPECT_EQ(check_poem_form(heads, 5, 4), "") << heads.text();
  }
}

}  // namespace
}  // namespace rnnkit
