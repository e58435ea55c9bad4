#include "rnnkit/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "rnnkit/error.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

// w = exp((x - max x) / temperature), returning the sum of w. Generation weighs every token at
// every step, so these are vector loops with rnnkit's inlined float exp (1 ulp): libm's double
// exp took longer than the model's step.
RNNKIT_VECTOR_KERNEL double exp_weights(int64_t n, const float* x, float inverse_temperature,
                                        float* w) {
  float max_x = x[0];
#pragma omp simd reduction(max : max_x)
  for (int64_t j = 0; j < n; ++j) max_x = x[j] > max_x ? x[j] : max_x;
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) w[j] = vec::exp((x[j] - max_x) * inverse_temperature);
  double total = 0;
#pragma omp simd reduction(+ : total)
  for (int64_t j = 0; j < n; ++j) total += w[j];
  return total;
}

// Whether every x is finite: x - x is 0 for finite x and NaN for NaN and ±inf, so their sum is 0
// exactly when all are finite. (A reduction over && was not vectorised: half of a draw's time
// over 8,293 logits.)
RNNKIT_VECTOR_KERNEL bool all_finite(int64_t n, const float* x) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) sum += x[j] - x[j];
  return sum == 0.0f;
}

// The tokens that may be drawn, in the order the draw walks them, with unnormalised weights.
struct Candidates {
  std::vector<int32_t> ids;
  std::vector<float> weights;
  double total = 0;
};

Candidates candidates(std::span<const float> logits, const SamplingOptions& options,
                      std::span<const uint8_t> allowed) {
  validate(options);
  if (logits.empty()) throw Error("cannot sample a token from an empty vocabulary");
  if (logits.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw Error("cannot sample from " + std::to_string(logits.size()) + " logits: too many");
  if (!allowed.empty() && allowed.size() != logits.size())
    throw Error("the token mask has " + std::to_string(allowed.size()) + " entries for " +
                std::to_string(logits.size()) + " logits");

  Candidates c;
  const bool finite = vec::dispatch<all_finite>(static_cast<int64_t>(logits.size()), logits.data());
  if (finite && allowed.empty()) {
    // The common case, every token a candidate, needs no per-token checks.
    c.ids.resize(logits.size());
    std::iota(c.ids.begin(), c.ids.end(), 0);
  } else if (finite) {
    // Finite logits need only the mask, taken without a branch per token: a poem's scattered
    // three quarters of the vocabulary mispredicted a quarter of them.
    c.ids.resize(logits.size());
    size_t kept = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      c.ids[kept] = static_cast<int32_t>(i);
      kept += allowed[i] != 0;
    }
    c.ids.resize(kept);
  } else {
    c.ids.reserve(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
      if (!allowed.empty() && allowed[i] == 0) continue;
      const float logit = logits[i];
      if (std::isnan(logit) || logit == std::numeric_limits<float>::infinity())
        throw Error("the logit of token " + std::to_string(i) + " is " + std::to_string(logit) +
                    ": logits must be finite (or -inf)");
      if (logit != -std::numeric_limits<float>::infinity())
        c.ids.push_back(static_cast<int32_t>(i));
    }
  }
  if (c.ids.empty())
    throw Error(allowed.empty() ? "every logit is -inf: no token can be sampled"
                                : "the token mask (with -inf logits) forbids every token");

  if (options.temperature <= 0) {
    int32_t best = c.ids[0];
    for (int32_t id : c.ids) {
      if (logits[id] > logits[best]) best = id;
    }
    return {{best}, {1.0}, 1.0};
  }

  auto more_probable = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  const size_t n = c.ids.size();
  bool sorted = false;
  if (options.top_k > 0 && static_cast<size_t>(options.top_k) < n) {
    std::partial_sort(c.ids.begin(), c.ids.begin() + options.top_k, c.ids.end(), more_probable);
    c.ids.resize(options.top_k);
    sorted = true;
  }
  if (options.top_p < 1 && !sorted) {
    std::sort(c.ids.begin(), c.ids.end(), more_probable);
    sorted = true;
  }

  const size_t m = c.ids.size();
  std::vector<float> gathered;
  // Unsorted ids are increasing, so all of them are 0, 1, 2, ...: the logits as they are.
  const float* candidate_logits = logits.data();
  if (sorted || m != logits.size()) {
    gathered.resize(m);
    for (size_t j = 0; j < m; ++j) gathered[j] = logits[c.ids[j]];
    candidate_logits = gathered.data();
  }
  c.weights.resize(m);
  c.total = vec::dispatch<exp_weights>(static_cast<int64_t>(m), candidate_logits,
                                       1.0f / options.temperature, c.weights.data());

  if (options.top_p < 1) {
    const double mass = options.top_p * c.total;
    double cumulative = 0;
    size_t kept = 0;
    while (kept < c.weights.size() && cumulative < mass) cumulative += c.weights[kept++];
    c.ids.resize(kept);
    c.weights.resize(kept);
    c.total = cumulative;
  }
  return c;
}

}  // namespace

uint64_t random_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) | device();
}

void validate(const SamplingOptions& options) {
  if (!std::isfinite(options.temperature))
    throw Error("invalid sampling option temperature: must be finite, got " +
                std::to_string(options.temperature));
  if (options.top_k < 0)
    throw Error("invalid sampling option top_k: must be >= 0 (0 = off), got " +
                std::to_string(options.top_k));
  if (!(options.top_p > 0 && options.top_p <= 1))
    throw Error("invalid sampling option top_p: must be in (0, 1] (1 = off), got " +
                std::to_string(options.top_p));
}

std::vector<float> sampling_distribution(std::span<const float> logits,
                                         const SamplingOptions& options,
                                         std::span<const uint8_t> allowed) {
  const Candidates c = candidates(logits, options, allowed);
  std::vector<float> probabilities(logits.size(), 0.0f);
  for (size_t j = 0; j < c.ids.size(); ++j)
    probabilities[c.ids[j]] = static_cast<float>(c.weights[j] / c.total);
  return probabilities;
}

int32_t sample_token(std::span<const float> logits, const SamplingOptions& options, Rng& rng,
                     std::span<const uint8_t> allowed) {
  const Candidates c = candidates(logits, options, allowed);
  // uniform() < 1, so target < total: the walk stops on a token of positive weight (every
  // candidate has one), or, when the sum's rounding in another order leaves the running sum just
  // short of total, on the last candidate.
  const double target = rng.uniform() * c.total;
  double cumulative = 0;
  for (size_t j = 0; j + 1 < c.ids.size(); ++j) {
    cumulative += c.weights[j];
    if (target < cumulative) return c.ids[j];
  }
  return c.ids.back();
}

}  // namespace rnnkit
