#include "train/token_losses.h"

#include <algorithm>
#include <cmath>

#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"

namespace rnnkit {

void embed_tokens(LanguageModel& model, std::span<const int32_t> ids, Tensor& x) {
  const int64_t n = static_cast<int64_t>(ids.size());
  if (Embedding* embedding = model.embedding()) {
    x.resize({n, embedding->embedding_dim()});
    embedding->forward(ids, x.data());
  } else {
    x.resize({n, model.config().vocab_size});
    one_hot(ids, model.config().vocab_size, x.data());
  }
}

LossResult token_losses(LanguageModel& model, const float* y, int64_t n, const int32_t* targets,
                        int64_t first_target) {
  const Linear& fc = model.fc();
  const int64_t F = fc.in_features(), V = fc.out_features();
  // About 16 MB of logits at a time, as the training path does.
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 22) / V);
  Tensor logits;
  LossResult total;
  for (int64_t r0 = 0; r0 < n; r0 += block) {
    const int64_t m = std::min(block, n - r0);
    logits.resize({m, V});
    fc.forward(y + r0 * F, F, m, logits.data(), V);
    CrossEntropySum ce =
        softmax_cross_entropy(logits.data(), m, V, V, targets + r0, kIgnoreIndex, nullptr, 0);
    if (!std::isfinite(ce.loss_sum)) {
      // Row by row only on failure, to name the token.
      for (int64_t r = 0; r < m; ++r) {
        const double loss = softmax_cross_entropy(logits.data() + r * V, 1, V, V, targets + r0 + r,
                                                  kIgnoreIndex, nullptr, 0)
                                .loss_sum;
        if (!std::isfinite(loss))
          throw Error("the model's outputs overflow: the cross-entropy of token " +
                      std::to_string(first_target + r0 + r) + " of the text is " +
                      (std::isnan(loss) ? "nan" : "inf") +
                      ", so the perplexity is undefined (are the weights finite and sane?)");
      }
    }
    total.loss_sum += ce.loss_sum;
    total.count += ce.count;
  }
  return total;
}

}  // namespace rnnkit
