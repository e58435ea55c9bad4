#pragma once
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace rnnkit {

// The training poems, indexed to tell how much a generated poem copies them: its lines found
// verbatim, and its longest stretch of text found in any one training poem. The poems are
// joined, each followed by a separator of its own, into one text whose suffixes are sorted (a
// suffix array), so a query costs O(m^2 log n) for a poem of m characters, and building costs
// O(n log n) comparisons that stop at the end of a poem at the latest.
class PoemCopyIndex {
 public:
  explicit PoemCopyIndex(const std::vector<std::u32string>& poems);

  // Whether `line` (characters, without its verse mark) is a line of a training poem.
  bool has_line(const std::u32string& line) const;
  // The length of the longest substring of `text` that occurs in one training poem.
  int longest_common_substring(std::u32string_view text) const;

 private:
  int longest_match_at(std::u32string_view pattern) const;

  std::vector<char32_t> text_;      // the poems, each followed by its separator
  std::vector<uint32_t> suffixes_;  // start positions in text_, sorted by the suffix there
  std::unordered_set<std::u32string> lines_;
};

// The lines of a poem: maximal runs of characters that are not verse marks, each with the mark
// ending it (0 for text after the last mark).
struct VerseLine {
  std::u32string text;
  char32_t mark = 0;
};
std::vector<VerseLine> verse_lines(std::u32string_view poem);

}  // namespace rnnkit
