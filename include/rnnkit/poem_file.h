#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rnnkit/vocab.h"

namespace rnnkit {

// The poems of a text file, one per line (blank lines skipped), each as <START> poem <EOP> ids
// for evaluation from a zero state. A poem is read as `rnnkit poem` reads a start line: ASCII
// verse marks as full-width ones, and, when it holds characters the vocabulary lacks, in the
// model's script (a traditional poem meets a model of the simplified corpus). One the vocabulary
// reads as written stays as written: OpenCC's conversions are not idempotent (t2s turns the 宫徵
// it kept in the simplified corpus into 宫征). Errors: a vocabulary without <START>, <EOP> and
// <pad>; the file's (read_text_file); a character the vocabulary still lacks, naming the line.
std::vector<std::vector<int32_t>> encode_poem_file(const std::string& path, const Vocab& vocab);

}  // namespace rnnkit
