#pragma once
#include <span>
#include <string>

#include "rnnkit/parameter.h"
#include "rnnkit/rng.h"

namespace rnnkit {

// torch.nn.Embedding: a [num_embeddings, embedding_dim] table looked up by token id.
class Embedding {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, const std::string& name = "embedding");

  int64_t num_embeddings() const { return weight.value.dim(0); }
  int64_t embedding_dim() const { return weight.value.dim(1); }
  void reset_parameters(Rng& rng);  // N(0, 1), PyTorch's default

  // out: ids.size() rows of embedding_dim floats. Error on an id outside the table.
  void forward(std::span<const int32_t> ids, float* out) const;
  // Accumulates dout's rows into the gradient rows of their ids.
  void backward(std::span<const int32_t> ids, const float* dout);

  Parameter weight;
};

// One-hot rows: out[i] is zero except a 1 at column ids[i]; the "no embedding" input.
void one_hot(std::span<const int32_t> ids, int64_t num_classes, float* out);

}  // namespace rnnkit
