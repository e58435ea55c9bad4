#include "rnnkit/tonal_pattern.h"

#include <string>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

constexpr uint8_t P = kLevelTone, Z = kObliqueTone;

enum LineType { A, B, C, D };
constexpr uint8_t kFiveCharacterLines[4][5] = {
    {Z, Z, P, P, Z}, {P, P, Z, Z, P}, {P, P, P, Z, Z}, {Z, Z, Z, P, P}};

uint8_t opposite(uint8_t tone) {
  return tone == P ? Z : P;
}

std::vector<uint8_t> line_tones(LineType type, int form) {
  const uint8_t* five = kFiveCharacterLines[type];
  std::vector<uint8_t> tones;
  if (form == 7) tones.assign(2, opposite(five[0]));
  tones.insert(tones.end(), five, five + 5);
  return tones;
}

LineType next_line(LineType type, bool ends_couplet) {
  if (ends_couplet) return type == B ? C : A;  // 粘
  return type == A || type == D ? B : D;       // 对
}

}  // namespace

std::vector<std::vector<uint8_t>> tonal_template(int form, int lines, TonalOpening opening) {
  if (form != 5 && form != 7)
    throw Error("tonal templates are for lines of 5 or 7 characters, not " + std::to_string(form));
  if (lines < 1) throw Error("a tonal template needs at least one line");
  // The one first line whose second character and end match the opening.
  LineType type = A;
  for (LineType candidate : {A, B, C, D}) {
    const std::vector<uint8_t> tones = line_tones(candidate, form);
    if (tones[1] == opening.second_tone && (tones.back() == P) == opening.first_line_rhymes)
      type = candidate;
  }
  std::vector<std::vector<uint8_t>> result;
  for (int line = 0; line < lines; ++line) {
    result.push_back(line_tones(type, form));
    type = next_line(type, line % 2 == 1);
  }
  return result;
}

bool is_bound_position(int form, int position) {
  return position % 2 == 1 || position == form - 1;
}

TonalOpening usual_opening(int form) {
  return form == 7 ? TonalOpening{kLevelTone, true} : TonalOpening{kObliqueTone, false};
}

}  // namespace rnnkit
