#pragma once
#include <cmath>
#include <functional>
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

// The perplexity that eval, /v1/perplexity and the Python package report: Error when exp of the
// mean cross-entropy overflows a double (above about 709.78 nats per token, which a model whose
// outputs are finite but huge gives) instead of inf; training's validation logs the plain value.
double reported_perplexity(const Perplexity& p);

// DESIGN.md's perplexity of a text: predict token t+1 for every t when the model reads
// ids[0 .. N-2] as one sequence from a zero state, dropout off, as PyTorch's model(ids[:-1]).
// A unidirectional model carries its state through the stream, `chunk` steps per forward pass
// (token t+1 is predicted from tokens 0..t). A bidirectional model's reverse directions start
// at the end of the stream, so they have read the predicted token: the figure is PyTorch's, not
// a language model's perplexity; it runs checkpointed in chunks (train/bidirectional_stream.h).
// Error when a cross-entropy is not finite, naming the token. `after_chunk` (when given) is
// called after each chunk of a unidirectional model: a caller's chance to cancel by throwing
// (the Python package's Ctrl-C).
Perplexity evaluate_stream(LanguageModel& model, std::span<const int32_t> ids, int64_t chunk = 256,
                           const std::function<void()>& after_chunk = {});

// The stream's predictions in windows of `window`: window k predicts tokens kW+1 .. (k+1)W from
// ids[kW .. (k+1)W - 1] alone, every direction from a zero state, as PyTorch's
// model(ids[kW : (k+1)W]); the last window may be shorter. Error on a non-finite cross-entropy.
Perplexity evaluate_windows(LanguageModel& model, std::span<const int32_t> ids, int64_t window);

// Independent sequences (poems: <START> ... <EOP>), each from a zero state, batched and
// length-bucketed; every token after the first of each sequence is predicted. Error when the
// cross-entropy of a batch is not finite.
Perplexity evaluate_sequences(LanguageModel& model, const std::vector<std::vector<int32_t>>& seqs,
                              int32_t pad_id, int64_t batch = 128, int64_t max_length = 0);

}  // namespace rnnkit
