#pragma once
#include <cmath>
#include <span>
#include <vector>

#include "rnnkit/language_model.h"

namespace rnnkit {

struct Perplexity {
  double cross_entropy = 0;  // mean, nats per predicted token
  int64_t tokens = 0;        // predicted tokens
  double perplexity() const { return std::exp(cross_entropy); }
  double bits_per_token() const { return cross_entropy / std::log(2.0); }
};

// DESIGN.md's perplexity of a text: predict token t+1 from tokens 0..t over the whole stream,
// from a zero state carried through the whole stream (no resets), dropout off. The stream runs
// as one sequence, `chunk` steps per forward pass.
Perplexity evaluate_stream(LanguageModel& model, std::span<const int32_t> ids, int64_t chunk = 256);

// Independent sequences (poems: <START> ... <EOP>), each from a zero state, batched and
// length-bucketed; every token after the first of each sequence is predicted.
Perplexity evaluate_sequences(LanguageModel& model, const std::vector<std::vector<int32_t>>& seqs,
                              int32_t pad_id, int64_t batch = 128, int64_t max_length = 0);

}  // namespace rnnkit
