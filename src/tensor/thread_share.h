#pragma once
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace rnnkit {

// A thread's share [begin, end) of `count` items, contiguous and in thread order, the shares'
// sizes differing by one at most.
struct ThreadShare {
  int64_t begin, end;
};

// Thread t's share of `count` items among `threads`.
inline ThreadShare share_of(int64_t count, int64_t t, int64_t threads) {
  return {count * t / threads, count * (t + 1) / threads};
}

// Inside a parallel region: the calling thread's share.
inline ThreadShare thread_share(int64_t count) {
  return share_of(count, omp_get_thread_num(), omp_get_num_threads());
}

// Inside a parallel region: the calling thread's share of `count` floats in whole cache lines of
// 16 (the last share ends at count), so that no two threads write to one line.
inline ThreadShare thread_share_of_lines(int64_t count) {
  const auto [b0, b1] = thread_share((count + 15) / 16);
  return {std::min(count, b0 * 16), std::min(count, b1 * 16)};
}

// A thread's share of items, [front, back) in one atomic word: its owner takes chunks from one
// end while threads done with their own shares take from the other; each item is taken once.
class StealableRange {
 public:
  void set(int64_t front, int64_t back) { range_.store(pack(front, back)); }
  // [b, e): up to `most` items from the back (or the front) of what is left; false when none is.
  bool take(int64_t most, bool from_back, int64_t& b, int64_t& e) {
    uint64_t now = range_.load(std::memory_order_relaxed);
    for (;;) {
      const auto front = static_cast<int64_t>(now & 0xffffffffu);
      const auto back = static_cast<int64_t>(now >> 32);
      if (front >= back) return false;
      b = from_back ? std::max(front, back - most) : front;
      e = from_back ? back : std::min(back, front + most);
      // Relaxed: the claim needs only atomicity; the items' results meet at the region's end.
      if (range_.compare_exchange_weak(now, from_back ? pack(front, b) : pack(e, back),
                                       std::memory_order_relaxed))
        return true;
    }
  }

 private:
  // Items are counted below 2^32 (a product's panels).
  static uint64_t pack(int64_t front, int64_t back) {
    return static_cast<uint64_t>(front) | static_cast<uint64_t>(back) << 32;
  }
  alignas(64) std::atomic<uint64_t> range_{0};  // a cache line each: owners take without sharing
};

}  // namespace rnnkit
