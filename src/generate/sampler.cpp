#include "rnnkit/sampler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>

#include "generate/logit_check.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

// The draw's walk adds the weights up to the drawn token, one dependent double addition each: over
// 8,293 tokens that chain took a third of a draw. Partial sums of kBlock weights let it step a
// block at a time and walk one block only. Top-k skips whole blocks of logits on their maxima.
constexpr int64_t kBlock = 64;

int64_t block_count(int64_t n) {
  return (n + kBlock - 1) / kBlock;
}

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// Over the tokens `allowed` keeps (all of them when it is null): the largest logit, whether every
// one is finite and how many there are. x - x is 0 for finite x and NaN for NaN and ±inf, so their
// sum is 0 exactly when all are finite (a reduction over && was not vectorised).
struct RowScan {
  float max;
  bool finite;
  int64_t allowed;
};

RNNKIT_VECTOR_KERNEL RowScan scan_row(int64_t n, const float* x, const uint8_t* allowed) {
  float max_x = kMinusInfinity;
  float sum = 0.0f;
  if (allowed == nullptr) {
#pragma omp simd reduction(max : max_x) reduction(+ : sum)
    for (int64_t j = 0; j < n; ++j) {
      max_x = x[j] > max_x ? x[j] : max_x;
      sum += x[j] - x[j];
    }
    return {max_x, sum == 0.0f, n};
  }
  // A 32-bit mask value and count: with a bool and a 64-bit count GCC's code for this loop took
  // 2.3 times as long.
  int32_t kept = 0;
#pragma omp simd reduction(max : max_x) reduction(+ : sum, kept)
  for (int64_t j = 0; j < n; ++j) {
    const int32_t keep = allowed[j];
    max_x = keep != 0 && x[j] > max_x ? x[j] : max_x;
    sum += keep != 0 ? x[j] - x[j] : 0.0f;
    kept += keep != 0;
  }
  return {max_x, sum == 0.0f, kept};
}

// out = x where `allowed` keeps the token, -inf where it drops it.
RNNKIT_VECTOR_KERNEL void masked_logits(int64_t n, const float* x, const uint8_t* allowed,
                                        float* out) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    const int32_t keep = allowed[j];
    out[j] = keep != 0 ? x[j] : kMinusInfinity;
  }
}

RNNKIT_VECTOR_KERNEL float max_of(int64_t n, const float* x) {
  float max_x = kMinusInfinity;
#pragma omp simd reduction(max : max_x)
  for (int64_t j = 0; j < n; ++j) max_x = x[j] > max_x ? x[j] : max_x;
  return max_x;
}

// w = exp((x - max_x) / temperature), 0 for the tokens `allowed` drops. Generation weighs every
// token at every step, so these are vector loops with rnnkit's inlined float exp (1 ulp, never 0:
// vec::exp clamps its argument): libm's double exp took longer than the model's step.
RNNKIT_VECTOR_KERNEL void exp_weights(int64_t n, const float* x, const uint8_t* allowed,
                                      float max_x, float inverse_temperature, float* w) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) w[j] = vec::exp((x[j] - max_x) * inverse_temperature);
  // Dropped tokens zeroed afterwards (their logits may be NaN): a mask inside the exp loop made
  // GCC vectorise it at half the width (8 lanes), twice as slow.
  if (allowed != nullptr) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) {
      const int32_t keep = allowed[j];
      w[j] = keep != 0 ? w[j] : 0.0f;
    }
  }
}

// The sum of each block of kBlock w, in double.
RNNKIT_VECTOR_KERNEL void block_sums(int64_t n, const float* w, double* sums) {
  // Full blocks with a constant trip count, which GCC vectorises (a variable one it did not).
  const int64_t full = n / kBlock;
  for (int64_t b = 0; b < full; ++b) {
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < kBlock; ++i) sum += w[b * kBlock + i];
    sums[b] = sum;
  }
  if (full * kBlock < n) {
    double sum = 0;
    for (int64_t j = full * kBlock; j < n; ++j) sum += w[j];
    sums[full] = sum;
  }
}

// The weight of the tokens whose logit is at least `bar` (NaN logits, whose weight is 0, fail).
RNNKIT_VECTOR_KERNEL double weight_from(int64_t n, const float* x, const float* w, float bar) {
  // Explicit lanes: GCC kept the lanes of an `omp simd` reduction in memory, a store-to-load
  // chain through every iteration.
  constexpr int64_t kLanes = 32;
  double lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int64_t i = 0; i < kLanes; ++i)
      lanes[i] += x[j + i] >= bar ? static_cast<double>(w[j + i]) : 0.0;
  }
  double sum = 0;
  for (; j < n; ++j) sum += x[j] >= bar ? static_cast<double>(w[j]) : 0.0;
  for (double lane : lanes) sum += lane;
  return sum;
}

// Finite floats as unsigned integers in the same order, and back.
uint32_t order_key(float v) {
  const auto u = std::bit_cast<uint32_t>(v);
  return (u & 0x80000000u) != 0 ? ~u : u | 0x80000000u;
}

float from_order_key(uint32_t key) {
  return std::bit_cast<float>((key & 0x80000000u) != 0 ? key & 0x7fffffffu : ~key);
}

// Top-p without sorting: the tokens kept are those more probable than the cut (logit, then the
// lower id on ties), down to the first whose running weight, most probable first, reaches `mass`.
// The cut's logit is the largest v whose tokens at or above it weigh at least `mass`, found by
// bisection over the floats (at most 32 vector passes, against a sort of the vocabulary that took
// 0.5 ms a draw); the tokens tied at it are taken in id order. The others' weights become 0.
void keep_nucleus(int64_t n, const float* x, float max_x, float* w, double mass) {
  uint32_t low = order_key(-std::numeric_limits<float>::max());
  uint32_t high = order_key(max_x);
  while (low < high) {
    const uint32_t mid = low + (high - low + 1) / 2;
    if (vec::dispatch<weight_from>(n, x, w, from_order_key(mid)) >= mass)
      low = mid;
    else
      high = mid - 1;
  }
  const float cut = from_order_key(low);
  // The weight strictly above the cut: at or above the next float up.
  double running = vec::dispatch<weight_from>(
      n, x, w, std::nextafter(cut, std::numeric_limits<float>::infinity()));
  bool reached = false;
  for (int64_t j = 0; j < n; ++j) {
    if (x[j] > cut) continue;
    if (x[j] == cut && !reached) {
      running += w[j];
      reached = running >= mass;
      continue;
    }
    w[j] = 0.0f;
  }
}

RNNKIT_VECTOR_KERNEL double sum_doubles(int64_t n, const double* x) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) sum += x[j];
  return sum;
}

double sum_of(const std::vector<double>& x) {
  return vec::dispatch<sum_doubles>(static_cast<int64_t>(x.size()), x.data());
}

// The tokens that may be drawn, in the order the draw walks them, with unnormalised weights:
// either every token in id order (`ids` empty; the tokens `allowed` drops weigh 0) or the tokens
// of `ids`.
struct Candidates {
  bool every_token = false;
  const uint8_t* allowed = nullptr;
  std::vector<int32_t> ids;
  size_t count = 0;
  std::unique_ptr<float[]> weights;  // uninitialised: the exp pass writes every one
  std::vector<double> block_sums;    // of kBlock weights each
  double total = 0;

  int32_t id(size_t j) const { return every_token ? static_cast<int32_t>(j) : ids[j]; }
  // The last candidate of weight > 0 up to j (one exists where a walk ends: see first_reaching).
  size_t positive_at_or_before(size_t j) const {
    while (weights[j] == 0) --j;
    return j;
  }
};

// The first candidate whose running sum of weights, from the first one, makes `reached` true (a
// predicate that stays true once true; false for 0), or count when none does. Blocks are skipped
// on their partial sums and the one that reaches is walked. It reaches on a weight > 0, which the
// block therefore has; should rounding leave the block's own running sum short of its partial sum,
// the block's last such weight is the one.
template <class Reached>
size_t first_reaching(const Candidates& c, Reached reached) {
  double cumulative = 0;
  for (size_t b = 0; b < c.block_sums.size(); ++b) {
    if (!reached(cumulative + c.block_sums[b])) {
      cumulative += c.block_sums[b];
      continue;
    }
    const size_t end = std::min(c.count, (b + 1) * kBlock);
    for (size_t j = b * kBlock; j < end; ++j) {
      cumulative += c.weights[j];
      if (reached(cumulative)) return j;
    }
    return c.positive_at_or_before(end - 1);
  }
  return c.count;
}

// Candidate positions 0..m-1 in order of probability, ties to the lower position (= the lower id).
struct MoreProbable {
  const float* x;
  bool operator()(int32_t a, int32_t b) const { return x[a] > x[b] || (x[a] == x[b] && a < b); }
};

// The k most probable of the m positions of x, most probable first. When there are at least k
// blocks of kBlock, the k-th largest block maximum is a bar that at least k values reach, so only
// the values that reach it are sorted (one pass for the maxima, then the few blocks above the bar).
std::vector<int32_t> top_k_positions(int64_t m, const float* x, int64_t k) {
  const MoreProbable more{x};
  std::vector<int32_t> chosen;
  const int64_t blocks = m / kBlock;
  if (k <= blocks) {
    std::vector<float> block_max(blocks);
    for (int64_t b = 0; b < blocks; ++b)
      block_max[b] = vec::dispatch<max_of>(kBlock, x + b * kBlock);
    std::vector<float> maxima = block_max;
    std::nth_element(maxima.begin(), maxima.begin() + (k - 1), maxima.end(), std::greater<>());
    const float bar = maxima[k - 1];
    for (int64_t j = 0; j < m; ++j) {
      if (j % kBlock == 0 && j / kBlock < blocks && block_max[j / kBlock] < bar) {
        j += kBlock - 1;
        continue;
      }
      if (x[j] >= bar) chosen.push_back(static_cast<int32_t>(j));
    }
  } else {
    chosen.resize(m);
    std::iota(chosen.begin(), chosen.end(), 0);
  }
  std::partial_sort(chosen.begin(), chosen.begin() + k, chosen.end(), more);
  chosen.resize(k);
  return chosen;
}

// The ids of the tokens `allowed` keeps (all when it is null) whose logits are not -inf, in id
// order; throws for a NaN or +inf logit among them. The path of rows that are not all finite.
std::vector<int32_t> checked_ids(std::span<const float> logits, const uint8_t* allowed) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (allowed != nullptr && allowed[i] == 0) continue;
    const float logit = logits[i];
    check_logit(logit, i);
    if (logit != kMinusInfinity) ids.push_back(static_cast<int32_t>(i));
  }
  return ids;
}

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
  const uint8_t* mask = allowed.empty() ? nullptr : allowed.data();
  const auto n = static_cast<int64_t>(logits.size());
  const RowScan scan = vec::dispatch<scan_row>(n, logits.data(), mask);
  // A temperature so small that its inverse overflows float would make the weights NaN: greedy.
  const bool greedy = options.temperature <= 0 || !std::isfinite(1.0f / options.temperature);
  if (scan.finite && scan.allowed > 0) {
    // The common case needs no per-token checks and no list of ids.
    c.every_token = true;
    c.allowed = mask;
    c.count = logits.size();
  } else {
    c.ids = checked_ids(logits, mask);
    c.count = c.ids.size();
  }
  if (c.count == 0) {
    // All -inf is what a model whose outputs overflow gives, mask or not: say so, not the mask.
    const bool all_minus_infinity =
        std::all_of(logits.begin(), logits.end(), [](float l) { return l == kMinusInfinity; });
    throw Error(all_minus_infinity
                    ? "every logit is -inf, so no token can be sampled: the model's outputs "
                      "overflow (are its weights finite and sane?)"
                    : "the token mask forbids every token whose logit is not -inf");
  }

  if (greedy) {
    int32_t best = -1;
    for (size_t j = 0; j < c.count; ++j) {
      if (c.allowed != nullptr && c.allowed[j] == 0) continue;
      if (best < 0 || logits[c.id(j)] > logits[best]) best = c.id(j);
    }
    Candidates one{.ids = {best},
                   .count = 1,
                   .weights = std::make_unique<float[]>(1),
                   .block_sums = {1.0},
                   .total = 1};
    one.weights[0] = 1;
    return one;
  }

  const auto candidate_count = static_cast<size_t>(c.every_token ? scan.allowed : c.count);
  const bool top_k = options.top_k > 0 && static_cast<size_t>(options.top_k) < candidate_count;
  std::vector<float> gathered;
  const float* candidate_logits = logits.data();
  if (!c.every_token) {
    gathered.resize(c.count);
    for (size_t j = 0; j < c.count; ++j) gathered[j] = logits[c.ids[j]];
    candidate_logits = gathered.data();
  } else if (top_k && c.allowed != nullptr) {
    // Ranked as -inf, the dropped tokens fall below the k allowed ones that remain.
    gathered.resize(c.count);
    vec::dispatch<masked_logits>(n, logits.data(), c.allowed, gathered.data());
    candidate_logits = gathered.data();
  }
  if (top_k) {
    // Of candidate positions, most probable first.
    const std::vector<int32_t> order =
        top_k_positions(static_cast<int64_t>(c.count), candidate_logits, options.top_k);
    std::vector<int32_t> ids(order.size());
    std::vector<float> ordered(order.size());
    for (size_t j = 0; j < order.size(); ++j) {
      ids[j] = c.id(order[j]);
      ordered[j] = candidate_logits[order[j]];
    }
    c.every_token = false;
    c.allowed = nullptr;  // the k are allowed tokens
    c.ids = std::move(ids);
    c.count = c.ids.size();
    gathered = std::move(ordered);
    candidate_logits = gathered.data();
  }
  const float max_logit =
      c.every_token ? scan.max
                    : vec::dispatch<max_of>(static_cast<int64_t>(c.count), candidate_logits);
  const auto m = static_cast<int64_t>(c.count);
  c.weights = std::make_unique_for_overwrite<float[]>(c.count);
  vec::dispatch<exp_weights>(m, candidate_logits, c.allowed, max_logit, 1.0f / options.temperature,
                             c.weights.get());
  c.block_sums.resize(block_count(m));
  vec::dispatch<block_sums>(m, c.weights.get(), c.block_sums.data());
  if (options.top_p < 1) {
    keep_nucleus(m, candidate_logits, max_logit, c.weights.get(),
                 options.top_p * sum_of(c.block_sums));
    vec::dispatch<block_sums>(m, c.weights.get(), c.block_sums.data());
  }
  c.total = sum_of(c.block_sums);
  return c;
}
}  // namespace

uint64_t random_seed() {
  std::random_device device;
  return ((static_cast<uint64_t>(device()) << 32) | device()) & kLargestExactJsonSeed;
}

std::optional<SamplingFault> sampling_fault(const SamplingOptions& options) {
  if (!std::isfinite(options.temperature))
    // A number past float's range (--temp 1e39) arrives here as an infinity.
    return SamplingFault{
        "temperature",
        "must be finite, got " + formatted("%.9g", options.temperature) +
            (std::isinf(options.temperature) ? " (as a float: values past 3.4e38 overflow)" : "")};
  if (options.top_k < 0)
    return SamplingFault{"top_k", "must be >= 0 (0 = off), got " + std::to_string(options.top_k)};
  if (!(options.top_p > 0 && options.top_p <= 1))
    return SamplingFault{"top_p", "must be in (0, 1] (1 = off), got " +
                                      formatted("%.9g", options.top_p) +
                                      (options.top_p == 0 ? " (as a float)" : "")};
  return std::nullopt;
}

void validate(const SamplingOptions& options) {
  if (const auto fault = sampling_fault(options))
    throw Error("invalid sampling option " + fault->option + ": " + fault->message);
}

std::vector<float> sampling_distribution(std::span<const float> logits,
                                         const SamplingOptions& options,
                                         std::span<const uint8_t> allowed) {
  const Candidates c = candidates(logits, options, allowed);
  std::vector<float> probabilities(logits.size(), 0.0f);
  for (size_t j = 0; j < c.count; ++j)
    probabilities[c.id(j)] = static_cast<float>(c.weights[j] / c.total);
  return probabilities;
}

int32_t sample_token(std::span<const float> logits, const SamplingOptions& options, Rng& rng,
                     std::span<const uint8_t> allowed) {
  const Candidates c = candidates(logits, options, allowed);
  // uniform() < 1, so target < total: the walk stops on a token of positive weight, or, when the
  // sums' rounding in another order leaves the running sum just short of total, on the last one.
  const double target = rng.uniform() * c.total;
  const size_t j = first_reaching(c, [&](double sum) { return target < sum; });
  return c.id(j < c.count ? j : c.positive_at_or_before(c.count - 1));
}

}  // namespace rnnkit
