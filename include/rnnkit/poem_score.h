#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rnnkit/poem_copy_index.h"
#include "rnnkit/rhyme_table.h"

namespace rnnkit {

// How a set of poems (generated, or any) keeps the rules of Tang verse, how varied it is, and how
// much it copies the training poems. Each figure is a count of successes out of a count of cases.
struct PoemScores {
  struct Share {
    int64_t hits = 0, total = 0;
    double rate() const { return total ? static_cast<double>(hits) / total : 0.0; }
  };
  int64_t poems = 0;
  // Poems of regular form: an even number of lines, all of 5 or all of 7 Han characters, the
  // odd lines ending in ， or ；, the even ones in 。, ！ or ？.
  Share form;
  // Even lines (2, 4, ...) whose last character rhymes: it is in the rhyme table, its first
  // reading is level, and its rhyme group is the poem's: the group most even lines end on with a
  // level character (the earliest such line's on a tie).
  Share rhyme;
  // Bound characters (tonal_pattern.h) of the poems of regular form that take the tone of the
  // template, with each poem held against the one of its four openings it matches best; a
  // character missing from the table matches nothing.
  Share tones;
  Share repeated_characters;  // Han characters that occurred before in the same poem
  Share repeated_lines;       // lines equal to an earlier line of the same poem
  Share distinct_bigrams;     // distinct-2: distinct pairs of adjacent characters inside lines
  // With training poems only:
  bool copying = false;
  Share copied_lines;            // lines found verbatim in a training poem
  int64_t longest_copy_sum = 0;  // longest common substring with any training poem, summed
  int longest_copy = 0;          // and its largest value, in poem number longest_copy_poem (1-)
  int64_t longest_copy_poem = 0;
};

// `copy_index` may be null (no copying figures). The rhyme table holds simplified characters: a
// poem in traditional script (one with a character the table lacks but finds by its simplified
// form) is looked up by the simplified form of each character, as `rnnkit poem` reads a
// traditional model's vocabulary (風 as 风), so that a poem scores the same in either script; a
// simplified poem is read as written, as the writer reads a simplified model's.
PoemScores score_poems(const std::vector<std::u32string>& poems, const RhymeTable& table,
                       const PoemCopyIndex* copy_index = nullptr);

// The poems of a text: one per line, or, when `blocks` is true, one per block of consecutive
// non-blank lines (the output of `rnnkit poem`). Blank text around a poem is dropped.
std::vector<std::u32string> split_poems(std::string_view text, bool blocks, std::string_view what);

}  // namespace rnnkit
