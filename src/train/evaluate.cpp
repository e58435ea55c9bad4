#include "rnnkit/evaluate.h"

#include <algorithm>
#include <limits>

#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/poem_batcher.h"

namespace rnnkit {

Perplexity evaluate_stream(LanguageModel& model, std::span<const int32_t> ids, int64_t chunk) {
  if (ids.size() < 2)
    throw Error("need at least 2 tokens to measure perplexity, got " + std::to_string(ids.size()));
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
    LossResult r = model.forward_backward(batch, state, false, false, nullptr);
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
    total.loss_sum += r.loss_sum;
    total.count += r.count;
  }
  if (total.count == 0) throw Error("the sequences hold no token to predict");
  return {total.mean(), total.count};
}

}  // namespace rnnkit
