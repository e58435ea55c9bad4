#include "rnnkit/evaluate.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/poem_batcher.h"
#include "train/bidirectional_stream.h"
#include "train/token_losses.h"

namespace rnnkit {
namespace {

void require_two_tokens(std::span<const int32_t> ids) {
  if (ids.size() < 2)
    throw Error("need at least 2 tokens to measure perplexity, got " + std::to_string(ids.size()));
}

// Recurrent outputs y [n,1,F] of the model reading the n ids from `state` (empty: zeros).
void read_sequence(LanguageModel& model, std::span<const int32_t> ids, const LMState& state,
                   Tensor& x, Tensor& y) {
  const int64_t n = static_cast<int64_t>(ids.size());
  embed_tokens(model, ids, x);
  x.reshape({n, 1, x.dim(1)});
  const bool lstm = has_cell_state(model.config().cell);
  model.rnn().forward(x, state.h.empty() ? nullptr : &state.h,
                      lstm && !state.c.empty() ? &state.c : nullptr, y, nullptr, nullptr, false,
                      nullptr);
}

// For a chunk of the stream (the steps ids[start .. start+n-1] from `state`) whose summed
// cross-entropy was not finite: the chunk again, scored by token_losses, which names the token.
[[noreturn]] void name_non_finite_token(LanguageModel& model, std::span<const int32_t> ids,
                                        int64_t start, int64_t n, const LMState& state) {
  Tensor x, y;
  read_sequence(model, ids.subspan(start, n), state, x, y);
  token_losses(model, y.data(), n, ids.data() + start + 1, start + 1);
  throw Error("the model's outputs overflow: the cross-entropy of tokens " +
              std::to_string(start + 1) + ".." + std::to_string(start + n) +
              " of the text is not finite");
}

}  // namespace

double reported_perplexity(const Perplexity& p) {
  const double perplexity = p.perplexity();
  if (!std::isfinite(perplexity)) {
    std::ostringstream cross_entropy;
    cross_entropy << std::setprecision(6) << p.cross_entropy;
    throw Error("the perplexity overflows: the mean cross-entropy is " + cross_entropy.str() +
                " nats per token, whose exp is beyond a double; the model gives the text a "
                "vanishing probability (are its weights finite and sane?)");
  }
  return perplexity;
}

Perplexity evaluate_stream(LanguageModel& model, std::span<const int32_t> ids, int64_t chunk,
                           const std::function<void()>& after_chunk) {
  require_two_tokens(ids);
  if (chunk < 1)
    throw Error("evaluate_stream: the chunk must hold at least 1 token, got " +
                std::to_string(chunk));
  if (model.config().bidirectional) {
    LossResult total = bidirectional_stream_loss(model, ids, chunk);
    return {total.mean(), total.count};
  }
  LMState state;
  LossResult total;
  TokenBatch batch;
  const int64_t predictions = static_cast<int64_t>(ids.size()) - 1;
  for (int64_t start = 0; start < predictions; start += chunk) {
    const int64_t n = std::min(chunk, predictions - start);
    batch.steps = n;
    batch.batch = 1;
    batch.inputs.assign(ids.begin() + start, ids.begin() + start + n);
    batch.targets.assign(ids.begin() + start + 1, ids.begin() + start + n + 1);
    const LMState before = state;
    LossResult r = model.forward_backward(batch, state, false, false, nullptr);
    if (!std::isfinite(r.loss_sum)) name_non_finite_token(model, ids, start, n, before);
    total.loss_sum += r.loss_sum;
    total.count += r.count;
    if (after_chunk) after_chunk();
  }
  return {total.mean(), total.count};
}

Perplexity evaluate_windows(LanguageModel& model, std::span<const int32_t> ids, int64_t window) {
  require_two_tokens(ids);
  if (window < 1)
    throw Error("the window must hold at least 1 token, got " + std::to_string(window));
  const int64_t predictions = static_cast<int64_t>(ids.size()) - 1;
  Tensor x, y;
  LossResult total;
  for (int64_t start = 0; start < predictions; start += window) {
    const int64_t n = std::min(window, predictions - start);
    read_sequence(model, ids.subspan(start, n), LMState{}, x, y);
    LossResult r = token_losses(model, y.data(), n, ids.data() + start + 1, start + 1);
    total.loss_sum += r.loss_sum;
    total.count += r.count;
  }
  return {total.mean(), total.count};
}

Perplexity evaluate_sequences(LanguageModel& model, const std::vector<std::vector<int32_t>>& seqs,
                              int32_t pad_id, int64_t batch_size, int64_t max_length) {
  if (seqs.empty()) throw Error("no sequences to evaluate");
  Rng order_rng(0);  // batch order does not change the mean
  PoemBatcherOptions options{batch_size,
                             max_length ? max_length : std::numeric_limits<int32_t>::max(), true};
  PoemBatcher batcher(&seqs, pad_id, options, &order_rng);
  TokenBatch batch;
  LossResult total;
  while (batcher.next(batch)) {
    LMState state;
    LossResult r = model.forward_backward(batch, state, false, false, nullptr);
    if (!std::isfinite(r.loss_sum))
      throw Error("the model's outputs overflow: the cross-entropy of a batch of " +
                  std::to_string(batch.batch) + " sequences of up to " +
                  std::to_string(batch.steps) + " tokens is not finite");
    total.loss_sum += r.loss_sum;
    total.count += r.count;
  }
  if (total.count == 0) throw Error("the sequences hold no token to predict");
  return {total.mean(), total.count};
}

}  // namespace rnnkit
