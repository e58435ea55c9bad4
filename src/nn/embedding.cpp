#include "rnnkit/embedding.h"

#include <cstring>

#include "rnnkit/error.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

void check_id(int32_t id, int64_t n) {
  if (id < 0 || id >= n)
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary of " +
                std::to_string(n) + " tokens");
}

}  // namespace

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, const std::string& name)
    : weight(name + ".weight", {num_embeddings, embedding_dim}) {
  if (num_embeddings <= 0 || embedding_dim <= 0)
    throw Error("embedding sizes must be positive, got " + weight.value.shape_string());
}

void Embedding::reset_parameters(Rng& rng) {
  for (float& v : weight.value.span()) v = rng.normal();
}

void Embedding::forward(std::span<const int32_t> ids, float* out) const {
  const int64_t E = embedding_dim();
  for (size_t i = 0; i < ids.size(); ++i) {
    check_id(ids[i], num_embeddings());
    std::memcpy(out + i * E, weight.value.data() + ids[i] * E, sizeof(float) * E);
  }
}

void Embedding::backward(std::span<const int32_t> ids, const float* dout) {
  const int64_t E = embedding_dim();
  rows::scatter_add_rows(static_cast<int64_t>(ids.size()), E, dout, E, ids.data(),
                         weight.grad.data(), E);
}

void one_hot(std::span<const int32_t> ids, int64_t num_classes, float* out) {
  std::memset(out, 0, sizeof(float) * ids.size() * num_classes);
  for (size_t i = 0; i < ids.size(); ++i) {
    check_id(ids[i], num_classes);
    out[i * num_classes + ids[i]] = 1.0f;
  }
}

}  // namespace rnnkit
