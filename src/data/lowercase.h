#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace rnnkit {

// Python's str.lower() of valid UTF-8 text: Unicode's full lowercase mapping, without a locale's
// rules (ICU's root locale): every cased script, İ as i + U+0307, Σ as ς at the end of a word.
// The d2l pipelines build their vocabularies from text.lower(), so a model's tokens are these.
// ICU takes at most 2^31 - 1 bytes at once: longer text goes in pieces of at most `max_piece`
// bytes (at least 4), cut after a line end (no case context crosses one) or, in a longer line,
// between characters.
std::string lowercase(std::string_view text,
                      size_t max_piece = std::numeric_limits<int32_t>::max());

// rnnkit's lowercase before 2026-12-07, one code point for one: the capitals of ASCII, Latin-1,
// Latin Extended-A, basic Greek (Σ always σ) and basic Cyrillic; every other code point kept
// (İ too). A vocabulary made with it can hold capitals that lowercase() changes; Vocab keeps
// such a vocabulary's text to this mapping (Normalization::lowercase_by_table).
std::string lowercase_by_table(std::string_view text);

}  // namespace rnnkit
