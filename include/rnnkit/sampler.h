#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rnnkit/rng.h"

namespace rnnkit {

// How the next token is picked from the model's logits: the one definition shared by the command
// line and the HTTP server.
struct SamplingOptions {
  float temperature = 0.8f;  // <= 0: greedy
  int top_k = 0;             // 0 = off
  float top_p = 1.0f;        // 1 = off
  uint64_t seed = 0;         // seeds the Rng of a generation
};

// A seed from the operating system's entropy source, for a generation asked for without one:
// below 2^53, so that every JSON reader (JavaScript's numbers are exact up to 2^53 - 1) takes the
// seed a server reports exactly and can replay its text.
constexpr uint64_t kLargestExactJsonSeed = (uint64_t{1} << 53) - 1;
uint64_t random_seed();

// What is wrong with `options`, if anything: temperature must be finite, top_k >= 0, top_p in
// (0, 1]. `option` names the field ("top_p").
struct SamplingFault {
  std::string option, message;
};
std::optional<SamplingFault> sampling_fault(const SamplingOptions& options);

// Throws Error naming the bad field ("invalid sampling option top_p: ...").
void validate(const SamplingOptions& options);

// The distribution sample_token draws from, as probabilities over all token ids:
//  1. tokens whose `allowed` entry is 0 are removed (when `allowed` is non-empty; it must then
//     have logits.size() entries), and so are tokens whose logit is -inf;
//  2. temperature <= 0 (or below 1 / FLT_MAX, where its inverse overflows float): all mass on the
//     largest remaining logit (the lowest id on ties);
//  3. otherwise softmax(logits / temperature) over the remaining tokens, then, when top_k > 0,
//     only the top_k most probable are kept (ties broken by the lower id), then, when top_p < 1,
//     only the smallest prefix in descending probability whose share of the kept mass is
//     >= top_p; what is kept is renormalised.
// Throws Error for invalid options, empty logits, a mask of the wrong size, a NaN or +inf logit
// among the remaining tokens, or when no token remains.
std::vector<float> sampling_distribution(std::span<const float> logits,
                                         const SamplingOptions& options,
                                         std::span<const uint8_t> allowed = {});

// Draws a token id from sampling_distribution(logits, options, allowed), using exactly one
// rng.uniform() per call, greedy included, so a seeded stream of calls is reproducible whatever
// the options: the candidates are walked in id order (with top_k, most probable first) and the
// draw is the one where their running probability passes the uniform. Same errors as
// sampling_distribution.
int32_t sample_token(std::span<const float> logits, const SamplingOptions& options, Rng& rng,
                     std::span<const uint8_t> allowed = {});

}  // namespace rnnkit
