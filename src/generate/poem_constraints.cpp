#include "generate/poem_constraints.h"

#include <algorithm>

#include "rnnkit/script_converter.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

// How far allows() relaxes the constraints, in the order of poem_constraints.h.
enum Relaxation { kAll, kRhymeMayRepeat, kNoTones, kHanOnly };

bool single_tone(const CharacterSound* sound) {
  return sound != nullptr && (sound->tones == kLevelTone || sound->tones == kObliqueTone);
}

}  // namespace

std::vector<const CharacterSound*> find_sounds(const RhymeTable& table,
                                               const std::u32string& characters, bool traditional) {
  const std::u32string looked_up = traditional ? simplified_characters(characters) : characters;
  std::vector<const CharacterSound*> sounds(looked_up.size());
  std::transform(looked_up.begin(), looked_up.end(), sounds.begin(),
                 [&](char32_t c) { return table.find(c); });
  return sounds;
}

PoemConstraints::PoemConstraints(const Vocab& vocab, const RhymeTable& table,
                                 std::vector<uint8_t> han, bool rhyme, bool tones, int form,
                                 int lines, const std::vector<std::vector<int32_t>>& given)
    : han_(std::move(han)),
      sounds_(han_.size(), nullptr),
      rhyme_(rhyme),
      tones_(tones),
      form_(form),
      lines_(lines),
      used_rhymes_(han_.size(), 0),
      opening_(usual_opening(form)),
      mask_(han_.size(), 0) {
  if (!rhyme && !tones) return;
  std::u32string characters;
  for (size_t id = 0; id < han_.size(); ++id)
    if (han_[id]) characters.push_back(utf8::decode(vocab.token(static_cast<int32_t>(id)))[0]);
  const std::vector<const CharacterSound*> found =
      find_sounds(table, characters, vocab.normalization().script == "traditional");
  for (size_t id = 0, k = 0; id < han_.size(); ++id)
    if (han_[id]) sounds_[id] = found[k++];
  auto sound_at = [&](size_t line, size_t position) -> const CharacterSound* {
    return line < given.size() && position < given[line].size() ? sounds_[given[line][position]]
                                                                : nullptr;
  };
  const size_t last = static_cast<size_t>(form) - 1;
  // A given first line decides the opening by its second character and whether it rhymes by
  // its last; a character of two tones, or missing from the table, leaves the usual choice.
  if (!given.empty() && given[0].size() > 1) {
    if (const CharacterSound* second = sound_at(0, 1); single_tone(second))
      opening_.second_tone = second->tones;
    if (const CharacterSound* end = sound_at(0, last); single_tone(end))
      opening_.first_line_rhymes = end->tones == kLevelTone;
    opening_decided_ = true;
    template_ = tonal_template(form, lines, opening_);
  }
  // The rhyme of a given second line, else of a given first line that ends level.
  if (const CharacterSound* second_end = sound_at(1, last)) {
    decided_rhyme_ = Rhyme{second_end->group, second_end->rhyme_tone};
  } else if (const CharacterSound* first_end = sound_at(0, last);
             first_end && first_end->rhyme_tone == kLevelTone) {
    decided_rhyme_ = Rhyme{first_end->group, first_end->rhyme_tone};
  }
}

bool PoemConstraints::is_rhyme_position(int line, int position) const {
  return rhyme_ && position == form_ - 1 &&
         (line % 2 == 1 || (line == 0 && tones_ && opening_.first_line_rhymes));
}

bool PoemConstraints::allows(int32_t id, int line, int position, int relaxation) const {
  const size_t i = static_cast<size_t>(id);
  if (!han_[i]) return false;
  const CharacterSound* sound = sounds_[i];
  if (relaxation < kHanOnly && is_rhyme_position(line, position)) {
    if (sound == nullptr) return false;
    if (decided_rhyme_) {
      if (sound->group != decided_rhyme_->group || sound->rhyme_tone != decided_rhyme_->tone ||
          (relaxation < kRhymeMayRepeat && used_rhymes_[i]))
        return false;
    } else if (sound->rhyme_tone != kLevelTone) {
      return false;
    }
  }
  if (relaxation < kNoTones && tones_) {
    if (line == 0 && position == 1 && !opening_decided_) return single_tone(sound);
    if (is_bound_position(form_, position))
      return sound != nullptr &&
             (sound->tones & template_[static_cast<size_t>(line)][static_cast<size_t>(position)]);
  }
  return true;
}

const std::vector<uint8_t>& PoemConstraints::allowed(int line, int position) {
  if (!rhyme_ && !tones_) return han_;
  for (int relaxation = kAll; relaxation < kHanOnly; ++relaxation) {
    bool any = false;
    for (size_t id = 0; id < han_.size(); ++id) {
      mask_[id] = allows(static_cast<int32_t>(id), line, position, relaxation);
      any = any || mask_[id];
    }
    if (any) return mask_;
  }
  return han_;
}

void PoemConstraints::place(int line, int position, int32_t id) {
  const CharacterSound* sound = sounds_[static_cast<size_t>(id)];
  if (tones_ && line == 0 && position == 1 && !opening_decided_) {
    if (single_tone(sound)) opening_.second_tone = sound->tones;
    opening_decided_ = true;
    template_ = tonal_template(form_, lines_, opening_);
  }
  if (is_rhyme_position(line, position)) {
    used_rhymes_[static_cast<size_t>(id)] = 1;
    if (!decided_rhyme_ && sound != nullptr)
      decided_rhyme_ = Rhyme{sound->group, sound->rhyme_tone};
  }
}

}  // namespace rnnkit
