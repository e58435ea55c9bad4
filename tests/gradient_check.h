#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "rnnkit/rng.h"
#include "rnnkit/tensor.h"

namespace rnnkit::testing {

// A tensor whose entries are perturbed and the analytic gradient it is checked against.
struct GradientCase {
  std::string name;
  Tensor* value;
  const Tensor* grad;
};

// Central finite differences of `objective` (which must recompute everything from the current
// values) against analytic gradients, on up to `samples` random entries of each tensor. An entry
// whose estimate changes with the step size sits on a kink (relu) and is skipped.
inline void expect_gradients_match(const std::function<double()>& objective,
                                   const std::vector<GradientCase>& cases, int samples = 24,
                                   double eps = 1e-2, double atol = 2e-3, double rtol = 2e-2) {
  Rng pick(99);
  for (const GradientCase& c : cases) {
    ASSERT_EQ(c.value->shape(), c.grad->shape()) << c.name;
    const int64_t n = c.value->numel();
    int checked = 0;
    for (int s = 0; s < samples && s < 4 * n; ++s) {
      const int64_t i = n <= samples ? s : static_cast<int64_t>(pick.below(n));
      if (i >= n) break;
      float& v = (*c.value)[i];
      const float saved = v;
      auto central = [&](double h) {
        v = saved + static_cast<float>(h);
        double up = objective();
        v = saved - static_cast<float>(h);
        double down = objective();
        v = saved;
        return (up - down) / (2 * h);
      };
      const double numeric = central(eps), numeric_half = central(eps / 2);
      const double analytic = (*c.grad)[i];
      if (std::abs(numeric - numeric_half) > atol + rtol * std::abs(numeric)) continue;
      EXPECT_NEAR(analytic, numeric, atol + rtol * std::abs(numeric)) << c.name << "[" << i << "]";
      ++checked;
    }
    EXPECT_GT(checked, 0) << "no entry of " << c.name << " could be checked";
  }
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
