#include "train/token_losses.h"

#include <cmath>

#include "models/output_layer_chunks.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

// The error for m rows of logits whose summed cross-entropy is not finite, naming the first row
// (token first_target + row) that is not; searched row by row only on failure.
Error non_finite_error(const float* logits, int64_t m, int64_t V, const int32_t* targets,
                       int64_t first_target) {
  for (int64_t r = 0; r < m; ++r) {
    const double loss =
        softmax_cross_entropy(logits + r * V, 1, V, V, targets + r, kIgnoreIndex, nullptr, 0)
            .loss_sum;
    if (!std::isfinite(loss))
      return Error("the model's outputs overflow: the cross-entropy of token " +
                   std::to_string(first_target + r) + " of the text is " +
                   (std::isnan(loss) ? "nan" : "inf") +
                   ", so the perplexity is undefined (are the weights finite and sane?)");
  }
  return Error("the model's outputs overflow: the cross-entropy of tokens " +
               std::to_string(first_target) + ".." + std::to_string(first_target + m - 1) +
               " of the text is not finite");
}

}  // namespace

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
  Tensor logits;
  OutputLayerChunks chunks(model.fc(), y, n, targets, 0.0f, nullptr, logits);
  LossResult total = chunks.run();
  if (std::isfinite(total.loss_sum)) return total;
  // Chunk by chunk again, the logits stored, to name the first token whose loss is not finite.
  total = LossResult{};
  for (int64_t c = 0; c < chunks.count(); ++c) {
    chunks.forward(c);
    const CrossEntropySum ce = chunks.loss(c);
    const int64_t r0 = chunks.first_row(c);
    if (!std::isfinite(ce.loss_sum))
      throw non_finite_error(logits.data(), chunks.rows_of(c), model.fc().out_features(),
                             targets + r0, first_target + r0);
    total.loss_sum += ce.loss_sum;
    total.count += ce.count;
  }
  return total;
}

}  // namespace rnnkit
