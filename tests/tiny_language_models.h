#pragma once
// Small language models with known behaviour for the generation tests.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "rnnkit/language_model.h"
#include "rnnkit/vocab.h"

namespace rnnkit::testing {

inline Parameter& parameter(LanguageModel& model, const std::string& name) {
  for (Parameter* p : model.parameters()) {
    if (p->name == name) return *p;
  }
  throw std::runtime_error("no parameter " + name);
}

// A model whose next-token logits depend only on the current token: logits = next[current].
// A ReLU RNN on one-hot input with W_ih = I and W_hh = 0 has h_t = onehot(x_t) exactly, and
// fc.weight[v][u] = next[u][v] then reads row x_t out of the table.
inline LanguageModel bigram_model(const std::vector<std::vector<float>>& next) {
  const int64_t V = static_cast<int64_t>(next.size());
  LanguageModel model({CellKind::RnnRelu, V, 0, V, 1});
  for (Parameter* p : model.parameters()) p->value.zero();
  Tensor& w_ih = parameter(model, "rnn.weight_ih_l0").value;
  Tensor& fc = parameter(model, "fc.weight").value;
  for (int64_t u = 0; u < V; ++u) {
    w_ih[u * V + u] = 1.0f;
    for (int64_t v = 0; v < V; ++v) fc[v * V + u] = next[u][v];
  }
  return model;
}

// Logits log(p) give softmax probabilities p when p sums to 1; absent tokens get -30.
inline std::vector<float> log_probs(const std::vector<float>& p) {
  std::vector<float> logits;
  for (float q : p) logits.push_back(q > 0 ? std::log(q) : -30.0f);
  return logits;
}

// All parameters zero: every next token equally likely, whatever came before.
inline LanguageModel flat_model(int64_t vocab_size) {
  LanguageModel model({CellKind::Gru, vocab_size, 4, 3, 1});
  for (Parameter* p : model.parameters()) p->value.zero();
  return model;
}

inline LanguageModel random_model(CellKind cell, int64_t vocab_size, uint64_t seed,
                                  int64_t embedding = 6, int64_t hidden = 8, int64_t layers = 2) {
  LanguageModel model({cell, vocab_size, embedding, hidden, layers});
  Rng rng(seed);
  model.reset_parameters(rng);
  return model;
}

inline Vocab char_vocab(std::vector<std::string> tokens, SpecialTokens specials = {},
                        Normalization normalization = {}) {
  return Vocab::from_tokens(std::move(tokens), TokenLevel::Char, std::move(specials),
                            std::move(normalization));
}

}  // namespace rnnkit::testing
