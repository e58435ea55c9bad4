#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnkit {

// Reading the Tang poems of the chinese-poetry package (tools/fetch_poems.sh puts its 58 files
// poet.tang.N.json in data/tang/). Each file is a JSON array of poem objects; only `paragraphs`
// (an array of strings) is read, every other key (author, title, id, tags, notes, ...) is
// ignored.

struct PoemPrepareOptions {
  std::string script = "simplified";  // "simplified" (OpenCC t2s) or "traditional" (as stored)
  int form = 0;                       // 0: any poem; 5 or 7: only regular poems of that line length
  double valid_fraction = 0.05;       // in [0, 1)
  uint64_t split_seed = 1234;
  int64_t max_length = 0;  // 0 keeps all; else drops poems longer than this many characters
  // valid_fraction was asked for, not a default: a fraction that holds no poem out is then an
  // error, as a run would go without the validation it was asked for.
  bool valid_fraction_asked = false;
};

// How many poems each step removed, for reporting.
struct PoemCounts {
  int64_t read = 0;        // poem objects in the files
  int64_t unusable = 0;    // dropped by clean_poem()
  int64_t duplicates = 0;  // the same text as an earlier poem
  int64_t wrong_form = 0;  // not of the requested form
  int64_t too_long = 0;    // longer than max_length
};

struct PoemCorpus {
  // Cleaned poem texts (paragraphs joined, punctuation kept), each part in corpus order.
  std::vector<std::u32string> train, valid;
  PoemCounts counts;
};

// The files poet.tang.N.json of `dir` (N a decimal number; other files are ignored), as paths, in
// numeric order of N: poet.tang.9000 before poet.tang.10000. Error when `dir` cannot be listed or
// holds none, with a hint to run tools/fetch_poems.sh.
std::vector<std::string> list_poem_files(const std::string& dir);

// Reads every poem of list_poem_files(dir) in that order, cleans it (clean_poem), converts it to
// the requested script, then drops, in this order: exact duplicates of an earlier poem's final
// text (so that no validation poem also sits in the training part), poems not of the requested
// form (has_regular_form), poems longer than max_length. The remaining N poems are split by a
// Fisher-Yates shuffle of 0..N-1 drawn with Rng(split_seed) (swap i with below(i + 1), i from
// N-1 down to 1): the last floor(N * valid_fraction) shuffled indices are the validation part.
// The same files and options always give the same split.
// Errors: invalid options; a file that cannot be read; invalid JSON ("FILE: invalid JSON at byte
// N: ..."); a top level that is not an array; a poem that is not an object or has no
// `paragraphs` array of strings ("FILE: poem I (0-based) ..."); no poem left after filtering
// (with the count of each reason and the first poem it dropped: "FILE: poem I (0-based) holds
// "□" (U+25A1) ..."); an asked-for valid_fraction that holds no poem out (with the smallest
// fraction that holds one out).
PoemCorpus load_poem_corpus(const std::string& dir, const PoemPrepareOptions& options);

// True for the CJK ideographs: the Unified blocks (U+4E00..9FFF, Extension A U+3400..4DBF),
// the Compatibility Ideographs (U+F900..FAFF, U+2F800..2FA1F) and planes 2 and 3
// (Extensions B and later, 4-byte UTF-8). Radicals, ideographic description characters, 〇 and
// the private use area are not.
bool is_han(char32_t c);

// The punctuation a cleaned poem may keep: ，。？！；：、
bool is_verse_punctuation(char32_t c);

// The full-width verse mark that an ASCII mark of a Latin keyboard stands for: ',' '.' '?' '!'
// ';' ':' as ，。？！；：; any other character as it is. Poems and `rnnkit poem --start` lines
// typed without a Chinese input method read so.
char32_t full_width_verse_mark(char32_t c);

// Cleans the text of one poem; nullopt when the poem is dropped. The paragraphs are joined first
// (editorial notes often span paragraphs), then, in this order:
//  1. notes （…） are removed with their content, matching nested parentheses, so quotation marks
//     「」『』 and titles 《》 inside a note go with it; a （ that is never closed removes nothing;
//  2. note numbers 〖…〗 are removed with their content (〖1〗, 〖一○七七〗);
//  3. brackets [ ] (ASCII): when the content is all numerals (一二三四五六七八九十○〇 or 0-9) it is
//     a note number and removed ([一], [一二]); when it is all Han characters it is text an editor
//     supplied and is kept without the brackets ([爽], [何如]); anything else stays, bracket
//     and all, and drops the poem by rule 5. Numerals in brackets occur only in the supplement
//     files 50000+, where line lengths show that at least 80 of 91 are note numbers;
//  4. the ASCII marks , . ? ! ; : become their full-width forms (full_width_verse_mark);
//  5. the poem is dropped when anything but Han characters and verse punctuation is left: □
//     (a lost character), {𥫗/戢} (a glyph composed from parts), ○, a stray bracket or
//     parenthesis, 「」 or 《》 outside a note (mostly commentary written outside parentheses
//     in the supplement), private-use or radical characters, Latin letters, digits, spaces;
//  6. a run of punctuation marks keeps only its first mark, because the marks after it ended a
//     removed note: 。。 -> 。, ？。 -> ？; punctuation at the start of the poem is removed;
//  7. the poem is dropped when nothing is left.
// Error for paragraphs that are not valid UTF-8.
std::optional<std::u32string> clean_poem(const std::vector<std::string>& paragraphs);

// True when the poem's lines (the text between the marks ，。？！；, a mark at the very end
// closing the last line) number an even count >= 2 and every line is exactly `form` Han
// characters: the 5- and 7-character regular verse (jueju, lüshi and longer pailü).
bool has_regular_form(std::u32string_view poem, int form);

}  // namespace rnnkit
