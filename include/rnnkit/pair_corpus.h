#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rnnkit/rng.h"

namespace rnnkit {

// How a line holds a pair:
//   Underscore  "question_answer", split at the first '_' (the files of Deep Learning from
//               Scratch 2, where '_' also starts the decoder sequence);
//   Tsv         "question<TAB>answer" (for labelled texts "label<TAB>text"), exactly one tab;
//   Auto        Tsv when the first non-empty line holds a tab, Underscore otherwise.
enum class PairFormat { Auto, Underscore, Tsv };

PairFormat parse_pair_format(std::string_view name);  // "auto", "underscore", "tsv"
std::string pair_format_name(PairFormat format);

// One pair and the 1-based line it came from, for error messages.
struct TextPair {
  std::string question, answer;
  int64_t line = 0;
};

struct PairCorpus {
  PairFormat format = PairFormat::Underscore;  // as resolved (never Auto)
  std::vector<TextPair> pairs;
};

// Parses question/answer pairs, one per line. Lines end at '\n' ("\r\n" is accepted); empty lines
// are skipped; everything else is kept verbatim, spaces included (the book's files pad with
// spaces). Error naming the source and line for invalid UTF-8, a line without the separator (or,
// in TSV, with more than one tab), an empty question or an empty answer, and for a text without
// any pair.
PairCorpus parse_pairs(std::string_view text, PairFormat format, const std::string& source);
PairCorpus read_pairs(const std::string& path, PairFormat format);

struct LabeledText {
  std::string label, text;
  int64_t line = 0;
};

// Parses "label<TAB>text" lines with the rules of parse_pairs in TSV form; a missing or empty
// label is an Error naming the line.
std::vector<LabeledText> parse_labeled_texts(std::string_view text, const std::string& source);
std::vector<LabeledText> read_labeled_texts(const std::string& path);

// numpy's legacy `numpy.random.seed(seed); numpy.random.shuffle(numpy.arange(n))`, bit for bit
// (MT19937 seeded by init_genrand, Fisher-Yates from the end with masked rejection sampling), so
// the book's train/test split can be reproduced without Python.
std::vector<int64_t> numpy_shuffled_indices(int64_t n, uint32_t seed);

// The held-out split of the book's dataset/sequence.py: shuffle as above, then the last
// floor(n * test_fraction) examples are the test set. Error when either part would be empty.
struct IndexSplit {
  std::vector<int64_t> train, test;
};
IndexSplit book_split(int64_t n, uint32_t seed, double test_fraction);

// The training and held-out examples of a run: with `held` > 0 (a held-out file, appended after
// the n examples) the first n train and the rest are held out; otherwise the book's split of n.
// Error when no training example is left.
IndexSplit held_out_split(int64_t n, int64_t held, uint32_t seed, double test_fraction);

// The batches of one epoch, each holding examples of a single length so that a recurrent
// encoder never reads padding: `indices` are shuffled (unless rng is null), grouped by
// lengths[index] keeping that order, cut into batches of at most batch_size, and the batches
// shuffled. With one length this is the usual shuffle-and-cut. Error for batch_size < 1.
std::vector<std::vector<int64_t>> length_bucketed_batches(std::span<const int64_t> indices,
                                                          std::span<const int64_t> lengths,
                                                          int64_t batch_size, Rng* rng);

}  // namespace rnnkit
