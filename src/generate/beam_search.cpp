#include "rnnkit/beam_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

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

// The rows `parents` of a [layers * directions, B, H] state: each new hypothesis gets a copy of
// its parent's state. An empty state (zeros) stays empty.
Tensor gather_rows(const Tensor& state, std::span<const int32_t> parents) {
  if (state.empty()) return {};
  const int64_t slabs = state.dim(0), B = state.dim(1), H = state.dim(2);
  const int64_t n = static_cast<int64_t>(parents.size());
  Tensor out({slabs, n, H});
  for (int64_t s = 0; s < slabs; ++s) {
    for (int64_t j = 0; j < n; ++j) {
      const float* from = state.data() + (s * B + parents[j]) * H;
      std::copy(from, from + H, out.data() + (s * n + j) * H);
    }
  }
  return out;
}

}  // namespace

BeamHypothesis beam_search(LanguageModel& model, const LMState& state,
                           std::span<const float> logits, const BeamSearchOptions& options) {
  const int64_t V = model.config().vocab_size;
  const int W = options.beam_width;
  if (W < 1 || W > kMaxBeamWidth)
    throw Error("the beam width must be 1.." + std::to_string(kMaxBeamWidth) + ", got " +
                std::to_string(W));
  if (options.max_tokens < 0)
    throw Error("beam search needs a length >= 0, got " + std::to_string(options.max_tokens));
  if (static_cast<int64_t>(logits.size()) != V)
    throw Error("beam search got " + std::to_string(logits.size()) +
                " logits for a vocabulary of " + std::to_string(V));
  if (!options.allowed.empty() && static_cast<int64_t>(options.allowed.size()) != V)
    throw Error("the token mask has " + std::to_string(options.allowed.size()) +
                " entries for a vocabulary of " + std::to_string(V));

  // history[t][i]: how live hypothesis i after step t extends hypothesis `parent` of step t - 1.
  struct Link {
    int32_t parent;
    int32_t token;
  };
  std::vector<std::vector<Link>> history;
  // A hypothesis completed by eos at `step`, extending live hypothesis `parent` of step - 1.
  struct Complete {
    int64_t step;
    int32_t parent;
    double score;
  };
  std::optional<Complete> best_complete;

  std::vector<double> scores = {0.0};
  LMState current = state;
  Tensor step_logits = Tensor::from({1, V}, logits);
  std::vector<float> log_probs(static_cast<size_t>(V));
  std::vector<Candidate> candidates;
  std::vector<int32_t> parents, tokens;
  for (int64_t t = 0; t < options.max_tokens; ++t) {
    candidates.clear();
    for (int32_t i = 0; i < static_cast<int32_t>(scores.size()); ++i) {
      log_softmax(step_logits.data() + i * V, V, log_probs.data());
      for (int32_t v = 0; v < V; ++v) {
        if (!options.allowed.empty() && options.allowed[v] == 0) continue;
        if (log_probs[v] == -std::numeric_limits<float>::infinity()) continue;
        candidates.push_back({scores[i] + log_probs[v], i, v});
      }
    }
    if (candidates.empty()) throw Error("the token mask (with -inf logits) forbids every token");
    // Each hypothesis has one eos candidate at most, so the best 2W hold W that go on, if any.
    const size_t keep = std::min(candidates.size(), static_cast<size_t>(2 * W));
    std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(),
                      ranks_before);

    std::vector<Link> links;
    std::vector<double> next_scores;
    for (size_t r = 0; r < keep && links.size() < static_cast<size_t>(W); ++r) {
      const Candidate& c = candidates[r];
      if (c.token == options.eos) {
        if (r < static_cast<size_t>(W) && (!best_complete || c.score > best_complete->score))
          best_complete = Complete{t, c.hypothesis, c.score};
        continue;
      }
      links.push_back({c.hypothesis, c.token});
      next_scores.push_back(c.score);
    }
    if (links.empty()) break;  // every surviving pair ended at eos
    history.push_back(std::move(links));
    scores = std::move(next_scores);
    if (best_complete && best_complete->score >= scores[0]) break;
    if (t + 1 == options.max_tokens) break;

    parents.clear();
    tokens.clear();
    for (const Link& link : history.back()) {
      parents.push_back(link.parent);
      tokens.push_back(link.token);
    }
    current.h = gather_rows(current.h, parents);
    current.c = gather_rows(current.c, parents);
    model.step(tokens, current, step_logits);
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
  const bool live_full_length = static_cast<int64_t>(history.size()) == options.max_tokens;
  BeamHypothesis best;
  if (best_complete && (!live_full_length || best_complete->score >= scores[0])) {
    best.tokens = trace(best_complete->step - 1, best_complete->parent);
    best.log_prob = best_complete->score;
    best.ended_at_eos = true;
  } else {
    best.tokens = trace(static_cast<int64_t>(history.size()) - 1, 0);
    best.log_prob = history.empty() ? 0.0 : scores[0];
  }
  return best;
}

}  // namespace rnnkit
