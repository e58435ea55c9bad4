#pragma once
// The poem model shipped in models/ and its held-out sample, for the tests that read them.
#include <fstream>
#include <string>
#include <vector>

#include "rnnkit/vocab.h"

namespace rnnkit::testing {

inline const std::string kShippedPoemModel =
    std::string(RNNKIT_SOURCE_DIR) + "/models/tang_lstm.safetensors";

// tests/fixtures/tang_valid_sample.txt (200 held-out poems), each as <START> poem <EOP>.
inline std::vector<std::vector<int32_t>> tang_valid_sample(const Vocab& vocab) {
  std::ifstream in(std::string(RNNKIT_FIXTURE_DIR) + "/tang_valid_sample.txt");
  std::vector<std::vector<int32_t>> seqs;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<int32_t> seq = {*vocab.bos_id()};
    for (int32_t id : vocab.encode(line)) seq.push_back(id);
    seq.push_back(*vocab.eos_id());
    seqs.push_back(std::move(seq));
  }
  return seqs;
}

}  // namespace rnnkit::testing
