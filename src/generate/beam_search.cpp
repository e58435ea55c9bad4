#include "rnnkit/beam_search.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "generate/logit_check.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

struct Candidate {
  double score;
  int32_t hypothesis;
  int32_t token;
};

bool ranks_before(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.hypothesis != b.hypothesis) return a.hypothesis < b.hypothesis;
  return a.token < b.token;
}

void check_options(int64_t V, const BeamSearchOptions& options) {
  if (options.beam_width < 1 || options.beam_width > kMaxBeamWidth)
    throw Error("the beam width must be 1.." + std::to_string(kMaxBeamWidth) + ", got " +
                std::to_string(options.beam_width));
  if (options.max_tokens < 0)
    throw Error("beam search needs a length >= 0, got " + std::to_string(options.max_tokens));
  if (!options.allowed.empty() && static_cast<int64_t>(options.allowed.size()) != V)
    throw Error("the token mask has " + std::to_string(options.allowed.size()) +
                " entries for a vocabulary of " + std::to_string(V));
}

// Every (hypothesis, allowed token of finite log-probability) pair of one step, scored.
void score_candidates(const Tensor& logits, std::span<const double> scores,
                      std::span<const uint8_t> allowed, std::vector<float>& log_probs,
                      std::vector<Candidate>& candidates) {
  const auto n = static_cast<int64_t>(scores.size()), V = static_cast<int64_t>(log_probs.size());
  if (logits.shape() != Shape{n, V})
    throw Error("the beam decoder gave logits " + logits.shape_string() + " for " +
                std::to_string(n) + " hypotheses over " + std::to_string(V) + " tokens");
  candidates.clear();
  for (int32_t i = 0; i < n; ++i) {
    log_softmax(logits.data() + i * V, V, log_probs.data());
    // A NaN or +inf logit, allowed or not, makes the row's normaliser NaN, and so every
    // log-probability: only then is the row searched for it, to name it.
    if (std::isnan(log_probs[0]))
      for (int32_t v = 0; v < V; ++v) check_logit(logits.data()[i * V + v], static_cast<size_t>(v));
    for (int32_t v = 0; v < V; ++v) {
      if (!allowed.empty() && allowed[v] == 0) continue;
      // A sequence of probability 0 (or a NaN score) is no hypothesis.
      if (!std::isfinite(log_probs[v])) continue;
      candidates.push_back({scores[i] + log_probs[v], i, v});
    }
  }
  if (candidates.empty())
    throw Error("no token is possible: the token mask and -inf logits forbid every one");
}

}  // namespace

BeamHypothesis beam_search(BeamDecoder& decoder, const BeamSearchOptions& options,
                           const std::function<bool()>& wanted) {
  const Tensor& logits = decoder.logits();
  if (logits.ndim() != 2 || logits.dim(0) != 1)
    throw Error("beam search starts from one row of logits, got " + logits.shape_string());
  const int64_t V = logits.dim(1);
  check_options(V, options);
  const size_t W = static_cast<size_t>(options.beam_width);

  // history[t][i]: live hypothesis i after step t is hypothesis `parent` of step t - 1 + token.
  struct Link {
    int32_t parent;
    int32_t token;
  };
  std::vector<std::vector<Link>> history;
  // The best hypothesis finished by eos at `step`, extending live hypothesis `parent` of step - 1.
  struct Finished {
    int64_t step;
    int32_t parent;
    double score;
  };
  std::optional<Finished> finished;

  std::vector<double> scores = {0.0};
  std::vector<float> log_probs(static_cast<size_t>(V));
  std::vector<Candidate> candidates;
  std::vector<int32_t> parents, tokens;
  for (int64_t t = 0; t < options.max_tokens; ++t) {
    score_candidates(decoder.logits(), scores, options.allowed, log_probs, candidates);
    const size_t keep = std::min(candidates.size(), W);
    std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(),
                      ranks_before);
    std::vector<Link> links;
    scores.clear();
    for (size_t r = 0; r < keep; ++r) {
      const Candidate& c = candidates[r];
      // Scores only fall: this candidate and those ranked after it cannot win any more.
      if (finished && c.score <= finished->score) break;
      if (c.token == options.eos) {
        finished = Finished{t, c.hypothesis, c.score};
        continue;
      }
      links.push_back({c.hypothesis, c.token});
      scores.push_back(c.score);
    }
    if (links.empty()) break;
    history.push_back(std::move(links));
    if (t + 1 == options.max_tokens) break;

    parents.clear();
    tokens.clear();
    for (const Link& link : history.back()) {
      parents.push_back(link.parent);
      tokens.push_back(link.token);
    }
    if (wanted && !wanted()) {
      BeamHypothesis none;
      none.abandoned = true;
      return none;
    }
    decoder.reorder(parents);
    decoder.step(tokens);
  }

  // The tokens of live hypothesis `index` after step `step` (none before step 0).
  auto trace = [&](int64_t step, int32_t index) {
    std::vector<int32_t> path;
    for (int64_t s = step; s >= 0; --s) {
      const Link& link = history[static_cast<size_t>(s)][static_cast<size_t>(index)];
      path.push_back(link.token);
      index = link.parent;
    }
    std::reverse(path.begin(), path.end());
    return path;
  };
  BeamHypothesis best;
  const auto full_length = static_cast<int64_t>(history.size());
  if (full_length == options.max_tokens && full_length > 0) {
    // Live hypotheses remain only when they score above every finished one.
    best.tokens = trace(full_length - 1, 0);
    best.log_prob = scores[0];
  } else if (finished) {
    best.tokens = trace(finished->step - 1, finished->parent);
    best.log_prob = finished->score;
    best.ended_at_eos = true;
  }
  return best;
}

}  // namespace rnnkit
