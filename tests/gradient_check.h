#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "rnnkit/rng.h"
#include "rnnkit/single_row_product.h"
#include "rnnkit/tensor.h"

namespace rnnkit::testing {

// A tensor whose entries are perturbed and the analytic gradient it is checked against.
struct GradientCase {
  std::string name;
  Tensor* value;
  const Tensor* grad;
};

// Central finite differences of `objective` (which must recompute everything from the current
// values) against analytic gradients, on min(samples, numel) entries of each tensor (all of them
// when it has no more, else drawn at random). An entry whose estimate changes with the step size
// sits on a kink (relu) or where the objective is not smooth enough for `eps`: it is skipped, but
// counted. The skips are reported, and a tensor with fewer than `min_checked_fraction` of its
// tried entries checked fails: a check that skips most entries proves nothing.
inline void expect_gradients_match(const std::function<double()>& objective,
                                   const std::vector<GradientCase>& cases, int samples = 24,
                                   double eps = 1e-2, double atol = 2e-3, double rtol = 2e-2,
                                   double min_checked_fraction = 0.75) {
  Rng pick(99);
  int tried_total = 0, skipped_total = 0;
  std::string skipped_list;
  for (const GradientCase& c : cases) {
    ASSERT_EQ(c.value->shape(), c.grad->shape()) << c.name;
    const int64_t n = c.value->numel();
    const int tried = static_cast<int>(std::min<int64_t>(samples, n));
    int checked = 0;
    for (int s = 0; s < tried; ++s) {
      const int64_t i = n <= samples ? s : static_cast<int64_t>(pick.below(n));
      float& v = (*c.value)[i];
      const float saved = v;
      // A perturbed weight is a rewritten one: the layers' copies of their weights for row
      // products (single_row_product.h) are made again.
      auto set = [&](float value) {
        v = value;
        note_weights_changed();
      };
      auto central = [&](double h) {
        set(saved + static_cast<float>(h));
        double up = objective();
        set(saved - static_cast<float>(h));
        double down = objective();
        set(saved);
        return (up - down) / (2 * h);
      };
      const double numeric = central(eps), numeric_half = central(eps / 2);
      const double analytic = (*c.grad)[i];
      if (std::abs(numeric - numeric_half) > atol + rtol * std::abs(numeric)) continue;
      EXPECT_NEAR(analytic, numeric, atol + rtol * std::abs(numeric)) << c.name << "[" << i << "]";
      ++checked;
    }
    const int skipped = tried - checked;
    EXPECT_GE(checked, std::max(1, static_cast<int>(std::ceil(min_checked_fraction * tried))))
        << c.name << ": only " << checked << " of " << tried
        << " entries could be checked; the others depend on the step size";
    tried_total += tried;
    skipped_total += skipped;
    if (skipped) skipped_list += " " + c.name + ":" + std::to_string(skipped);
  }
  std::printf("gradient check: %d entries of %zu tensors tried, %d skipped%s%s\n", tried_total,
              cases.size(), skipped_total, skipped_list.empty() ? "" : " -", skipped_list.c_str());
}

inline Tensor random_tensor(Shape shape, Rng& rng, float scale = 1.0f) {
  Tensor t(std::move(shape));
  for (float& v : t.span()) v = rng.uniform(-scale, scale);
  return t;
}

inline double dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace rnnkit::testing
