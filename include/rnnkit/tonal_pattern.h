#pragma once
#include <cstdint>
#include <vector>

#include "rnnkit/rhyme_table.h"

namespace rnnkit {

// The tonal templates of regulated verse (近体诗: 绝句 of 4 lines, 律诗 of 8, and any other
// length by the same rules), lines of 5 or 7 characters. Built from the four line types of the
// five-character line
//   A 仄仄平平仄   B 平平仄仄平   C 平平平仄仄   D 仄仄仄平平
// (a seven-character line puts two characters of the opposite tone of its first in front:
// A -> 平平仄仄平平仄), chained by 对 inside a couplet (A->B, C->D, and for a rhyming first line
// D->B, B->D) and 粘 across couplets (after B comes C, after D comes A).
struct TonalOpening {
  uint8_t second_tone = kLevelTone;  // the second character of line 1: 平起 or 仄起
  bool first_line_rhymes = false;    // 首句入韵: line 1 ends level, like the rhyming lines
};

// tones[line][position], each kLevelTone or kObliqueTone. Throws Error for a form other than 5
// or 7 or a non-positive number of lines.
std::vector<std::vector<uint8_t>> tonal_template(int form, int lines, TonalOpening opening);

// The positions a template binds (二四六分明): the 2nd, 4th and (seven-character lines) 6th
// characters and the last; the 1st, 3rd and 5th are free (一三五不论).
bool is_bound_position(int form, int position);

// The usual opening when nothing else decides it: 五言 仄起 without a rhyming first line,
// 七言 平起 with one.
TonalOpening usual_opening(int form);

}  // namespace rnnkit
