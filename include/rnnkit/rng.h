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

  // Inline, so that a loop of draws keeps the state in registers: a dropout mask draws one per
  // element (455,000 a PTB-medium step, on one thread while the other waits).
  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Moves past n draws of next_u64() (or uniform()), as if they had been made.
  void discard(uint64_t n);
  // Uniform in [0, 1) with 24 random bits, so every value is an exact float.
  float uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  // Standard normal (Box-Muller on two uniform doubles).
  float normal();
  // Uniform integer in [0, n), without modulo bias.
  uint64_t below(uint64_t n);

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  State s_{};
};

}  // namespace rnnkit
