#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rnnkit/rhyme_table.h"
#include "rnnkit/tonal_pattern.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// The rhyme table's entry for each of `characters` (nullptr where it has none). The table holds
// simplified characters: `traditional` ones are looked up by their simplified forms (風 as 风,
// each character on its own: simplified_characters). The writer reads a traditional model's
// vocabulary so, and `rnnkit poems score` a poem in traditional script.
std::vector<const CharacterSound*> find_sounds(const RhymeTable& table,
                                               const std::u32string& characters, bool traditional);

// What may be drawn at each position of a poem under PoemRequest::rhyme and ::tones (see
// poem_writer.h for the rules), as masks over the vocabulary for sample_token. Characters that
// the rhyme table lacks are never allowed at a constrained position. When the constraints leave
// no character, they are relaxed in this order until one remains: a rhyme character may be used
// a second time, the tonal template is dropped, the rhyme is dropped (any Han character).
class PoemConstraints {
 public:
  // `han`: the Han characters of the vocabulary, allowed anywhere inside a line. `given`: the
  // characters fed rather than drawn, per line (start lines), which may decide the rhyme and the
  // template's opening.
  PoemConstraints(const Vocab& vocab, const RhymeTable& table, std::vector<uint8_t> han, bool rhyme,
                  bool tones, int form, int lines, const std::vector<std::vector<int32_t>>& given);

  // The mask for the character drawn at (line, position).
  const std::vector<uint8_t>& allowed(int line, int position);
  // Records the character placed at (line, position), drawn or given.
  void place(int line, int position, int32_t id);

 private:
  struct Rhyme {
    int group;
    uint8_t tone;
  };
  bool is_rhyme_position(int line, int position) const;
  void decide_rhyme(int32_t id);
  bool allows(int32_t id, int line, int position, int relaxation) const;

  std::vector<uint8_t> han_;
  std::vector<const CharacterSound*> sounds_;  // per id; nullptr: not in the table
  bool rhyme_, tones_;
  int form_;
  int lines_;
  std::optional<Rhyme> decided_rhyme_;
  std::vector<uint8_t> used_rhymes_;  // per id
  TonalOpening opening_;
  bool opening_decided_ = false;
  std::vector<std::vector<uint8_t>> template_;
  std::vector<uint8_t> mask_;
};

}  // namespace rnnkit
