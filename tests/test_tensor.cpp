#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "error_of.h"
#include "rnnkit/cache_aligned.h"
#include "rnnkit/tensor.h"

namespace rnnkit {
namespace {

TEST(TensorDim, CountsFromTheEndWhenNegativeAndNamesADimensionItLacks) {
  const Tensor t({2, 3});
  EXPECT_EQ(t.dim(0), 2);
  EXPECT_EQ(t.dim(-1), 3);
  EXPECT_EQ(t.dim(-2), 2);
  EXPECT_EQ(testing::error_of([&] { t.dim(2); }),
            "Tensor::dim(2): a tensor of shape [2, 3] has 2 dimensions");
  EXPECT_EQ(testing::error_of([&] { t.dim(-3); }),
            "Tensor::dim(-3): a tensor of shape [2, 3] has 2 dimensions");
}

TEST(TensorBorrow, ReadsTheCallersMemoryWithoutCopying) {
  std::vector<float> memory = {1, 2, 3, 4, 5, 6};
  const Tensor t = Tensor::borrow({2, 3}, memory.data());
  EXPECT_EQ(t.data(), memory.data());
  EXPECT_EQ(t.shape(), Shape({2, 3}));
  EXPECT_EQ(t.numel(), 6);
  memory[4] = 50;  // a view: it sees the caller's memory as it is
  EXPECT_EQ(t[4], 50);
}

TEST(TensorBorrow, CopiesOwnTheirStorage) {
  std::vector<float> memory = {1, 2, 3, 4};
  const Tensor borrowed = Tensor::borrow({4}, memory.data());
  Tensor copy = borrowed;
  EXPECT_NE(copy.data(), memory.data());
  copy[0] = 10;
  EXPECT_EQ(memory[0], 1);
  Tensor assigned({1});
  assigned = borrowed;
  EXPECT_NE(assigned.data(), memory.data());
  EXPECT_EQ(assigned.span()[3], 4);
}

TEST(TensorBorrow, MutatorsNeverWriteTheCallersMemory) {
  std::vector<float> memory = {1, 2, 3, 4};
  Tensor zeroed = Tensor::borrow({4}, memory.data());
  zeroed.zero();
  Tensor filled = Tensor::borrow({4}, memory.data());
  filled.fill(7);
  Tensor resized = Tensor::borrow({4}, memory.data());
  resized.resize({2, 2});  // the same element count keeps the contents
  resized[0] = 9;
  EXPECT_EQ(memory, std::vector<float>({1, 2, 3, 4}));
  EXPECT_EQ(zeroed[3], 0);
  EXPECT_EQ(filled[3], 7);
  EXPECT_EQ(resized[3], 4);
}

TEST(TensorBorrow, MovesKeepBorrowingAndFreeNothing) {
  std::vector<float> memory = {1, 2, 3};
  Tensor borrowed = Tensor::borrow({3}, memory.data());
  Tensor moved = std::move(borrowed);
  EXPECT_EQ(moved.data(), memory.data());
  Tensor owner({5});
  owner = std::move(moved);  // frees owner's storage, not the caller's memory
  EXPECT_EQ(owner.data(), memory.data());
  owner = Tensor({2});  // replacing a borrowed tensor frees nothing of the caller's
  EXPECT_EQ(memory[2], 3);
}

bool on_a_cache_line(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % kCacheLine == 0;
}

// Sizes from a few bytes to past glibc's mmap threshold (128 KiB), whose blocks start 16 bytes
// into a page: a plain std::vector's data would fail here.
TEST(CacheAligned, TensorsAndPackedVectorsStartOnACacheLine) {
  for (int64_t n : {1, 3, 17, 1000, 40000, 300000}) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(on_a_cache_line(Tensor({n}).data()));
    CacheAlignedVector<float> floats(static_cast<size_t>(n));
    CacheAlignedVector<int8_t> bytes(static_cast<size_t>(n));
    EXPECT_TRUE(on_a_cache_line(floats.data()));
    EXPECT_TRUE(on_a_cache_line(bytes.data()));
    bytes.resize(static_cast<size_t>(3 * n));  // reallocated
    EXPECT_TRUE(on_a_cache_line(bytes.data()));
  }
}

}  // namespace
}  // namespace rnnkit
