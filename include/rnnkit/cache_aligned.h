#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace rnnkit {

// The alignment of rnnkit's own storage (tensors, packed weights): a cache line, so that a
// 64-byte vector load never straddles two lines.
constexpr size_t kCacheLine = 64;

// An allocator whose blocks start on a cache line. The panel kernel's panels are read 64 bytes
// per k; in a std::vector's 16-byte aligned block every such load was split over two lines, and
// the AVX-512 kernel ran 11-22% slower on two threads (bench/results/micro-aligned-panels-*).
template <typename T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() = default;
  template <typename U>
  constexpr CacheAlignedAllocator(const CacheAlignedAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kCacheLine}));
  }
  void deallocate(T* p, size_t) noexcept { ::operator delete (p, std::align_val_t{kCacheLine}); }
  template <typename U>
  bool operator==(const CacheAlignedAllocator<U>&) const noexcept {
    return true;
  }
};

template <typename T>
using CacheAlignedVector = std::vector<T, CacheAlignedAllocator<T>>;

}  // namespace rnnkit
