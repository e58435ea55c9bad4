#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

struct TextCorpusOptions {
  TokenLevel level = TokenLevel::Char;
  Normalization normalization;
  SpecialTokens specials;
  int64_t min_count = 1;
  int64_t max_vocab = 0;  // 0 = no limit
  // Keep only the first max_tokens tokens of the corpus (0 = all). As in d2l, the vocabulary is
  // still built from the whole file.
  int64_t max_tokens = 0;
};

// Reads a UTF-8 text file as text_as_read() has it. Error for a file that cannot be read, an
// empty file ("FILE is empty") or invalid UTF-8 ("FILE: invalid UTF-8 at byte offset N").
std::string read_text_file(const std::string& path);
// A text as a file of it is read: a leading byte-order mark dropped and line ends read as
// Python's text mode reads them ("\r\n" and "\r" as "\n"), as PyTorch's and d2l's readers do,
// so a CRLF file's characters are its LF twin's. For texts that arrive otherwise (a request's
// body, a Python string) to be measured as `rnnkit eval --text` measures a file.
std::string text_as_read(std::string text);

// `error` (an encoding of `text`, the file `path` as read, by `vocab`) again, its message
// beginning with "PATH, line N: " at the first line that holds a token the vocabulary lacks
// (after its normalisation), or "PATH: " where no single line does.
[[noreturn]] void throw_at_line_of_unknown(const OutOfVocabularyError& error, std::string_view text,
                                           const Vocab& vocab, const std::string& path);

std::vector<std::string> tokenize(std::string_view text, const TextCorpusOptions& options);

struct TextCorpus {
  Vocab vocab;
  std::vector<int32_t> ids;
};

// Reads, tokenizes and builds the vocabulary. Error also when no token is left after
// normalization.
TextCorpus load_text_corpus(const std::string& path, const TextCorpusOptions& options);

// Encodes a file with an existing vocabulary (its level and normalization); errors name the file.
std::vector<int32_t> encode_text_file(const std::string& path, const Vocab& vocab);

// Splits a token stream into (train, valid): the last floor(N * fraction) tokens are the
// validation part, contiguous, so sequential batching stays meaningful on both. fraction must lie
// in [0, 1); with fraction > 0 both parts must keep at least 2 tokens (one prediction).
std::pair<std::vector<int32_t>, std::vector<int32_t>> split_tail(const std::vector<int32_t>& ids,
                                                                 double fraction);

}  // namespace rnnkit
