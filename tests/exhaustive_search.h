#pragma once
// The most probable continuation found by scoring every one: what a beam wide enough to keep
// every prefix must return.
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace rnnkit::testing {

struct ExhaustiveBest {
  std::vector<int32_t> tokens;  // without the eos that ended it
  double log_prob = -INFINITY;
  bool ended_at_eos = false;
};

// next_log_probs(prefix): the log-probabilities [V] of the token after `prefix`. Scores every
// sequence of allowed tokens (allowed empty: all) that ends at eos within max_tokens tokens (its
// eos counted) or reaches max_tokens tokens without one; the first of equals wins.
inline ExhaustiveBest exhaustive_best(
    int64_t max_tokens, std::optional<int32_t> eos, std::span<const uint8_t> allowed,
    const std::function<std::vector<double>(const std::vector<int32_t>&)>& next_log_probs) {
  ExhaustiveBest best;
  auto consider = [&](const std::vector<int32_t>& tokens, double log_prob, bool ended) {
    if (log_prob > best.log_prob) best = {tokens, log_prob, ended};
  };
  std::function<void(std::vector<int32_t>&, double)> visit = [&](std::vector<int32_t>& prefix,
                                                                 double log_prob) {
    if (static_cast<int64_t>(prefix.size()) == max_tokens) return consider(prefix, log_prob, false);
    const std::vector<double> next = next_log_probs(prefix);
    for (int32_t v = 0; v < static_cast<int32_t>(next.size()); ++v) {
      if (!allowed.empty() && !allowed[v]) continue;
      if (v == eos) {
        consider(prefix, log_prob + next[v], true);
        continue;
      }
      prefix.push_back(v);
      visit(prefix, log_prob + next[v]);
      prefix.pop_back();
    }
  };
  std::vector<int32_t> prefix;
  visit(prefix, 0.0);
  return best;
}

// log_softmax in double precision.
inline std::vector<double> log_softmax_double(std::span<const float> logits) {
  double max = -INFINITY, sum = 0;
  for (float x : logits) max = std::max(max, double{x});
  for (float x : logits) sum += std::exp(x - max);
  std::vector<double> out;
  for (float x : logits) out.push_back(x - max - std::log(sum));
  return out;
}

}  // namespace rnnkit::testing
