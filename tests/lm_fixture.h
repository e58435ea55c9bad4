#pragma once
// Helpers of the tests that read the lm_*.safetensors fixtures of tools/make_fixtures.py: each
// holds a model's parameters beside its inputs ("input."), PyTorch's outputs ("output.") and
// gradients ("grad.").
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rnnkit/tensor.h"

namespace rnnkit::testing {

// max |a - b| / max(1, max |b|): absolute for small values, relative for large ones.
inline double scaled_max_error(const Tensor& a, const Tensor& b) {
  double err = 0, scale = 1;
  for (int64_t i = 0; i < b.numel(); ++i) {
    err = std::max(err, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b[i])));
  }
  return err / scale;
}

// Token ids stored as floats.
inline std::vector<int32_t> ids_of(const Tensor& t) {
  std::vector<int32_t> ids(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) ids[i] = static_cast<int32_t>(std::lround(t[i]));
  return ids;
}

// The model's own tensors, for load_state_dict().
inline std::map<std::string, Tensor> parameters_only(const std::map<std::string, Tensor>& all) {
  std::map<std::string, Tensor> params;
  for (const auto& [name, t] : all)
    if (name.rfind("input.", 0) && name.rfind("output.", 0) && name.rfind("grad.", 0))
      params[name] = t;
  return params;
}

}  // namespace rnnkit::testing
