#include "rnnkit/pair_corpus.h"

#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <random>

#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

// Calls visit(line, number) for every non-empty line, after checking its UTF-8.
void for_each_line(std::string_view text, const std::string& source,
                   const std::function<void(std::string_view, int64_t)>& visit) {
  utf8::check_not_wide_encoding(text, source);
  check_line_ends(text, source);
  int64_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    ++number;
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (size_t bad = utf8::find_invalid(line); bad != std::string::npos)
      throw Error(source + ":" + std::to_string(number) + ": invalid UTF-8 at byte " +
                  std::to_string(bad + 1) + " of the line");
    visit(line, number);
  }
}

std::string where(const std::string& source, int64_t line) {
  return source + ":" + std::to_string(line) + ": ";
}

// The start of a line for an error message, cut on a character boundary.
std::string excerpt(std::string_view line) {
  constexpr size_t kMax = 60;
  if (line.size() <= kMax) return std::string(line);
  return std::string(line.substr(0, utf8::complete_prefix_length(line.substr(0, kMax)))) + "...";
}

PairFormat detect_format(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line != "\r") {
      return line.find('\t') != std::string_view::npos ? PairFormat::Tsv : PairFormat::Underscore;
    }
    start = end + 1;
  }
  return PairFormat::Underscore;
}

// Splits a TSV line into its two fields; Error unless there is exactly one tab.
std::pair<std::string_view, std::string_view> split_tsv(std::string_view line,
                                                        const std::string& source, int64_t number,
                                                        const char* first, const char* second) {
  size_t tab = line.find('\t');
  if (tab == std::string_view::npos)
    throw Error(where(source, number) + "no tab between " + first + " and " + second);
  if (line.find('\t', tab + 1) != std::string_view::npos)
    throw Error(where(source, number) + "more than one tab (expected " + first + "<TAB>" + second +
                ")");
  return {line.substr(0, tab), line.substr(tab + 1)};
}

}  // namespace

PairFormat parse_pair_format(std::string_view name) {
  if (name == "auto") return PairFormat::Auto;
  if (name == "underscore") return PairFormat::Underscore;
  if (name == "tsv") return PairFormat::Tsv;
  throw Error("pair format must be auto, underscore or tsv, not \"" + std::string(name) + "\"");
}

std::string pair_format_name(PairFormat format) {
  switch (format) {
    case PairFormat::Auto:
      return "auto";
    case PairFormat::Underscore:
      return "underscore";
    case PairFormat::Tsv:
      return "tsv";
  }
  return "?";
}

PairCorpus parse_pairs(std::string_view text, PairFormat format, const std::string& source) {
  text = utf8::without_byte_order_mark(text);
  PairCorpus corpus;
  corpus.format = format == PairFormat::Auto ? detect_format(text) : format;
  for_each_line(text, source, [&](std::string_view line, int64_t number) {
    std::string_view question, answer;
    if (corpus.format == PairFormat::Tsv) {
      std::tie(question, answer) = split_tsv(line, source, number, "question", "answer");
    } else {
      size_t sep = line.find('_');
      if (sep == std::string_view::npos)
        throw Error(where(source, number) + "no '_' between question and answer in \"" +
                    excerpt(line) + "\"");
      question = line.substr(0, sep);
      answer = line.substr(sep + 1);
    }
    if (question.empty()) throw Error(where(source, number) + "empty question");
    if (answer.empty()) throw Error(where(source, number) + "empty answer");
    corpus.pairs.push_back({std::string(question), std::string(answer), number});
  });
  if (corpus.pairs.empty()) throw Error(source + ": no question/answer pairs");
  return corpus;
}

PairCorpus read_pairs(const std::string& path, PairFormat format) {
  return parse_pairs(read_file(path), format, path);
}

std::vector<LabeledText> parse_labeled_texts(std::string_view text, const std::string& source) {
  text = utf8::without_byte_order_mark(text);
  std::vector<LabeledText> examples;
  for_each_line(text, source, [&](std::string_view line, int64_t number) {
    auto [label, body] = split_tsv(line, source, number, "label", "text");
    if (label.empty()) throw Error(where(source, number) + "missing label before the tab");
    // "ok " beside "ok" would be a class of its own, unseen.
    if (label.front() == ' ' || label.back() == ' ')
      throw Error(where(source, number) + "the label \"" + std::string(label) +
                  "\" begins or ends with a space");
    if (body.empty()) throw Error(where(source, number) + "empty text after the label");
    examples.push_back({std::string(label), std::string(body), number});
  });
  if (examples.empty()) throw Error(source + ": no labelled texts");
  return examples;
}

std::vector<LabeledText> read_labeled_texts(const std::string& path) {
  return parse_labeled_texts(read_file(path), path);
}

std::vector<int64_t> numpy_shuffled_indices(int64_t n, uint32_t seed) {
  if (n < 0 || n > 0xffffffffLL)
    throw Error("cannot shuffle " + std::to_string(n) + " indices (at most 2^32 - 1)");
  std::vector<int64_t> indices(static_cast<size_t>(n));
  std::iota(indices.begin(), indices.end(), int64_t{0});
  // std::mt19937's seeding is MT19937's init_genrand, which numpy's legacy seed(int) uses.
  std::mt19937 engine(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    uint32_t max = static_cast<uint32_t>(i), mask = max;
    for (int shift = 1; shift <= 16; shift *= 2) mask |= mask >> shift;
    uint32_t j;
    do j = static_cast<uint32_t>(engine()) & mask;
    while (j > max);
    std::swap(indices[i], indices[j]);
  }
  return indices;
}

IndexSplit book_split(int64_t n, uint32_t seed, double test_fraction) {
  const std::string fraction = formatted("%g", test_fraction);
  if (!(test_fraction > 0.0 && test_fraction < 1.0))
    throw Error("the held-out fraction must be in (0, 1), got " + fraction);
  // The book takes n // 10 for 0.1; the small epsilon keeps n * 0.1 from rounding below that.
  const auto test_count = static_cast<int64_t>(std::floor(n * test_fraction + 1e-9));
  if (test_count < 1 || test_count >= n)
    throw Error("cannot hold out " + fraction + " of " + std::to_string(n) +
                " examples: both the training and the held-out part need at least one");
  std::vector<int64_t> order = numpy_shuffled_indices(n, seed);
  IndexSplit split;
  split.train.assign(order.begin(), order.end() - test_count);
  split.test.assign(order.end() - test_count, order.end());
  return split;
}

std::vector<std::vector<int64_t>> length_bucketed_batches(std::span<const int64_t> indices,
                                                          std::span<const int64_t> lengths,
                                                          int64_t batch_size, Rng* rng) {
  if (batch_size < 1)
    throw Error("the batch size must be at least 1, got " + std::to_string(batch_size));
  std::vector<int64_t> order(indices.begin(), indices.end());
  auto shuffle = [&](auto& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng->below(i)]);
  };
  if (rng) shuffle(order);
  std::map<int64_t, std::vector<int64_t>> groups;
  for (int64_t index : order) {
    if (index < 0 || index >= static_cast<int64_t>(lengths.size()))
      throw Error("example index " + std::to_string(index) + " has no length");
    groups[lengths[index]].push_back(index);
  }
  std::vector<std::vector<int64_t>> batches;
  for (const auto& [length, members] : groups)
    for (size_t start = 0; start < members.size(); start += batch_size)
      batches.emplace_back(members.begin() + start,
                           members.begin() + std::min(members.size(), start + batch_size));
  if (rng) shuffle(batches);
  return batches;
}

IndexSplit held_out_split(int64_t n, int64_t held, uint32_t seed, double test_fraction) {
  if (held == 0) return book_split(n, seed, test_fraction);
  IndexSplit split;
  for (int64_t i = 0; i < n; ++i) split.train.push_back(i);
  for (int64_t i = n; i < n + held; ++i) split.test.push_back(i);
  if (split.train.empty()) throw Error("no training examples");
  return split;
}

}  // namespace rnnkit
