#include "rnnkit/text_corpus.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw Error(path + " is a directory, not a text file");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error("cannot open " + path);
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) throw Error("cannot read " + path);
  std::string text = std::move(contents).str();
  if (text.empty()) throw Error(path + " is empty");
  utf8::check_not_wide_encoding(text, path);
  if (const size_t offset = utf8::find_invalid(text); offset != std::string::npos) {
    throw Error(path + ": invalid UTF-8 at byte offset " + std::to_string(offset));
  }
  text = text_as_read(std::move(text));
  if (text.empty()) throw Error(path + " is empty");
  return text;
}

std::string text_as_read(std::string text) {
  text.erase(0, text.size() - utf8::without_byte_order_mark(text).size());
  if (text.find('\r') == std::string::npos) return text;
  std::string lines;
  lines.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      lines += text[i];
      continue;
    }
    lines += '\n';
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  return lines;
}

std::vector<std::string> tokenize(std::string_view text, const TextCorpusOptions& options) {
  return tokenize(text, options.level, options.normalization, options.specials);
}

TextCorpus load_text_corpus(const std::string& path, const TextCorpusOptions& options) {
  if (options.max_tokens < 0) {
    throw Error("max_tokens must be 0 (all) or positive, not " +
                std::to_string(options.max_tokens));
  }
  // Counted, then encoded, token by token: a string per token would take 32 bytes each.
  const std::string text = read_text_file(path);
  std::unordered_map<std::string, int64_t> counts;
  for_each_token(text, options.level, options.normalization, options.specials,
                 [&](std::string_view token) { ++counts[std::string(token)]; });
  if (counts.empty()) throw Error(path + " has no tokens left after normalization");
  TextCorpus corpus;
  corpus.vocab =
      Vocab::build_from_counts(counts, options.level, options.specials, options.normalization,
                               options.min_count, options.max_vocab);
  try {
    corpus.ids = corpus.vocab.encode_first(text, options.max_tokens);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what() +
                " (tokens below min_count or beyond max_vocab need an unk token)");
  }
  return corpus;
}

void throw_at_line_of_unknown(const OutOfVocabularyError& error, std::string_view text,
                              const Vocab& vocab, const std::string& path) {
  // Each line encoded as the whole text is (no token spans a line end): the first one the
  // vocabulary refuses holds the first unknown token, whatever normalisation made of it.
  int64_t line = 1;
  for (size_t start = 0; start <= text.size(); ++line) {
    const size_t end = std::min(text.find('\n', start), text.size());
    try {
      vocab.encode(text.substr(start, end - start));
    } catch (const OutOfVocabularyError&) {
      throw OutOfVocabularyError(path + ", line " + std::to_string(line) + ": " + error.what(),
                                 error.first_unknown());
    }
    start = end + 1;
  }
  throw OutOfVocabularyError(path + ": " + error.what(), error.first_unknown());
}

std::vector<int32_t> encode_text_file(const std::string& path, const Vocab& vocab) {
  const std::string text = read_text_file(path);
  std::vector<int32_t> ids;
  try {
    ids = vocab.encode(text);
  } catch (const OutOfVocabularyError& e) {
    throw_at_line_of_unknown(e, text, vocab, path);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  if (ids.empty()) throw Error(path + " has no tokens left after normalization");
  return ids;
}

std::pair<std::vector<int32_t>, std::vector<int32_t>> split_tail(const std::vector<int32_t>& ids,
                                                                 double fraction) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    throw Error("the validation fraction must lie in [0, 1), not " + format_number(fraction));
  }
  const auto valid_size =
      static_cast<size_t>(std::floor(static_cast<double>(ids.size()) * fraction));
  const size_t train_size = ids.size() - valid_size;
  if (fraction > 0.0 && (valid_size < 2 || train_size < 2)) {
    throw Error("a validation fraction of " + format_number(fraction) + " of " +
                std::to_string(ids.size()) + " tokens leaves " + std::to_string(train_size) +
                " for training and " + std::to_string(valid_size) +
                " for validation; each part needs at least 2");
  }
  return {std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(train_size)),
          std::vector<int32_t>(ids.begin() + static_cast<ptrdiff_t>(train_size), ids.end())};
}

}  // namespace rnnkit
