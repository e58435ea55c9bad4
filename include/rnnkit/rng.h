#pragma once
#include <array>
#include <cstdint>

namespace rnnkit {

// xoshiro256** seeded through splitmix64: fast, with a four-word state that checkpoints store so
// that a resumed run draws exactly the numbers the uninterrupted run would have drawn.
class Rng {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Rng(uint64_t seed = 0) { seed_with(seed); }
  void seed_with(uint64_t seed);

  uint64_t next_u64();
  // Moves past n draws of next_u64() (or uniform()), as if they had been made.
  void discard(uint64_t n);
  // Uniform in [0, 1) with 24 random bits, so every value is an exact float.
  float uniform();
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  // Standard normal (Box-Muller on two uniform doubles).
  float normal();
  // Uniform integer in [0, n), without modulo bias.
  uint64_t below(uint64_t n);

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  State s_{};
};

}  // namespace rnnkit
