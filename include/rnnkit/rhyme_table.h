#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rnnkit {

// Tone classes of classical verse, as bits: a character with two readings may take both.
enum ToneClass : uint8_t { kLevelTone = 1, kObliqueTone = 2 };  // 平, 仄

struct CharacterSound {
  int group = 0;       // index into RhymeTable::group_names()
  uint8_t rhyme_tone;  // the tone class of the first (most common) reading: what rhymes use
  uint8_t tones;       // the tone classes of all its readings: what tonal templates use
};

// How characters sound, for rhymes and tonal templates: one line per character,
// "光<TAB>guang1<TAB>唐<TAB>平" (character, first reading, rhyme group, tone: 平, 仄, or 平仄
// when its readings differ), '#' lines are comments, the first of them the provenance.
// models/tang_rhymes.tsv (made by tools/make_rhyme_table.mjs from modern readings, grouped by the
// 中华新韵) is compiled into the library as shipped().
class RhymeTable {
 public:
  // Throws Error naming `what` and the line for a malformed or duplicated line.
  static RhymeTable parse(std::string_view text, std::string_view what);
  static const RhymeTable& shipped();

  const CharacterSound* find(char32_t c) const;  // nullptr for a character not in the table
  const std::vector<std::string>& group_names() const { return group_names_; }
  const std::string& provenance() const { return provenance_; }  // the first comment line
  size_t size() const { return sounds_.size(); }

 private:
  std::unordered_map<char32_t, CharacterSound> sounds_;
  std::vector<std::string> group_names_;
  std::string provenance_;
};

}  // namespace rnnkit
