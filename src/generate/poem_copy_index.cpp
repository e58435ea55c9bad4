#include "rnnkit/poem_copy_index.h"

#include <algorithm>

#include "rnnkit/error.h"
#include "rnnkit/poem_corpus.h"

namespace rnnkit {
namespace {

// Above every Unicode code point, so a separator never matches a poem's character and a pattern
// that ends is smaller than a suffix it begins.
constexpr char32_t kFirstSeparator = 0x110000;

}  // namespace

std::vector<VerseLine> verse_lines(std::u32string_view poem) {
  std::vector<VerseLine> lines;
  VerseLine line;
  for (char32_t c : poem) {
    if (is_verse_punctuation(c)) {
      line.mark = c;
      lines.push_back(std::move(line));
      line = {};
    } else {
      line.text.push_back(c);
    }
  }
  if (!line.text.empty()) lines.push_back(std::move(line));
  return lines;
}

PoemCopyIndex::PoemCopyIndex(const std::vector<std::u32string>& poems) {
  if (poems.size() > 0xFFFFFFFFu - kFirstSeparator) throw Error("too many training poems");
  for (size_t k = 0; k < poems.size(); ++k) {
    text_.insert(text_.end(), poems[k].begin(), poems[k].end());
    text_.push_back(kFirstSeparator + static_cast<char32_t>(k));
    for (VerseLine& line : verse_lines(poems[k])) lines_.insert(std::move(line.text));
  }
  if (text_.size() > 0xFFFFFFFFu) throw Error("the training poems are too long to index");
  suffixes_.resize(text_.size());
  for (size_t i = 0; i < text_.size(); ++i) suffixes_[i] = static_cast<uint32_t>(i);
  // Separators are unique, so two suffixes differ at the latest where the shorter poem ends.
  std::sort(suffixes_.begin(), suffixes_.end(), [this](uint32_t a, uint32_t b) {
    if (a == b) return false;
    while (text_[a] == text_[b]) ++a, ++b;
    return text_[a] < text_[b];
  });
}

bool PoemCopyIndex::has_line(const std::u32string& line) const {
  return lines_.contains(line);
}

int PoemCopyIndex::longest_match_at(std::u32string_view pattern) const {
  // How many leading characters of `pattern` the suffix at `start` shares with it.
  auto shared = [&](uint32_t start) {
    size_t k = 0;
    while (k < pattern.size() && text_[start + k] == pattern[k]) ++k;
    return k;
  };
  // The first suffix not smaller than the pattern; the longest match is at it or just before.
  const auto first = std::partition_point(suffixes_.begin(), suffixes_.end(), [&](uint32_t s) {
    const size_t k = shared(s);
    return k < pattern.size() && text_[s + k] < pattern[k];
  });
  size_t longest = 0;
  if (first != suffixes_.end()) longest = shared(*first);
  if (first != suffixes_.begin()) longest = std::max(longest, shared(*(first - 1)));
  return static_cast<int>(longest);
}

int PoemCopyIndex::longest_common_substring(std::u32string_view text) const {
  int longest = 0;
  for (size_t i = 0; i + static_cast<size_t>(longest) < text.size(); ++i)
    longest = std::max(longest, longest_match_at(text.substr(i)));
  return longest;
}

}  // namespace rnnkit
