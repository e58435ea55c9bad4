// The pieces of data-parallel training that one process can check: how batches are shared out
// among ranks, dropout masks drawn for a share equal the whole batch's columns (and leave the
// Rng where the whole batch does), and the reducer's arithmetic on a single rank.
#include <gtest/gtest.h>

#include "rnnkit/communicator.h"
#include "rnnkit/rnn.h"
#include "rnnkit/training_task.h"
#include "train/gradient_reducer.h"

namespace rnnkit {
namespace {

// A communicator of `size` ranks seen from `rank`, for the arithmetic of shares only.
class FakeWorld : public Communicator {
 public:
  FakeWorld(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(std::span<double>) override {}
  void allreduce_sum(std::span<float>) override {}
  void allgather(std::span<const uint64_t>, std::span<uint64_t>) override {}
  void allgather(std::span<const float>, std::span<float>) override {}
  void broadcast(std::span<float>, int) override {}
  void broadcast(std::string&, int) override {}
  std::unique_ptr<Communicator> duplicate() override {
    return std::make_unique<FakeWorld>(rank_, size_);
  }
  [[noreturn]] void abort(int) override { std::abort(); }

 private:
  int rank_, size_;
};

TEST(DataParallel, SharesAreContiguousCoverEverythingAndPutTheRestFirst) {
  for (int size : {1, 2, 3, 4}) {
    for (int64_t n : {0, 1, 2, 5, 7, 8, 128}) {
      int64_t next = 0;
      for (int r = 0; r < size; ++r) {
        FakeWorld w(r, size);
        const DataParallel p{&w, nullptr};
        const DataParallel::Share s = p.share(n);
        EXPECT_EQ(s.first, next) << "rank " << r << " of " << size << ", n " << n;
        // Shares differ by at most one, the larger ones first.
        EXPECT_EQ(s.count, n / size + (r < n % size ? 1 : 0));
        next += s.count;
      }
      EXPECT_EQ(next, n);
    }
  }
  const DataParallel alone;
  EXPECT_EQ(alone.share(9).first, 0);
  EXPECT_EQ(alone.share(9).count, 9);
}

TEST(DataParallel, DropoutOfAShareIsTheWholeBatchsColumns) {
  RNNOptions o;
  o.cell = CellKind::Gru;
  o.input_size = 3;
  o.hidden_size = 4;
  o.num_layers = 3;
  o.dropout = 0.5f;
  RNN rnn(o);
  Rng init(1);
  rnn.reset_parameters(init);
  const int64_t T = 5, B = 6;
  Tensor x({T, B, 3});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>((i * 37) % 11) / 11.0f - 0.5f;

  Rng whole_rng(42);
  Tensor whole;
  rnn.forward(x, nullptr, nullptr, whole, nullptr, nullptr, true, &whole_rng);

  for (int64_t first : {0, 2, 5}) {
    const int64_t count = first == 5 ? 1 : 3;
    Tensor part({T, count, 3});
    for (int64_t t = 0; t < T; ++t)
      for (int64_t b = 0; b < count; ++b)
        for (int64_t f = 0; f < 3; ++f)
          part[(t * count + b) * 3 + f] = x[(t * B + first + b) * 3 + f];
    Rng rng(42);
    rnn.set_batch_shard({first, B});
    Tensor y;
    rnn.forward(part, nullptr, nullptr, y, nullptr, nullptr, true, &rng);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t b = 0; b < count; ++b)
        for (int64_t h = 0; h < 4; ++h)
          // Equal up to the products' summation order, which depends on the batch size; a
          // column with another dropout mask is off by the size of its activations.
          ASSERT_NEAR(y[(t * count + b) * 4 + h], whole[(t * B + first + b) * 4 + h], 1e-6)
              << "step " << t << " column " << first + b;
    EXPECT_EQ(rng.state(), whole_rng.state()) << "the share leaves the Rng elsewhere";
  }
  rnn.set_batch_shard({4, 6});
  Tensor y;
  Rng rng(1);
  EXPECT_THROW(rnn.forward(x, nullptr, nullptr, y, nullptr, nullptr, true, &rng), Error);
}

TEST(GradientReducer, OneRankLeavesTheGradientOfTheMeanOverAllReports) {
  FakeWorld world(0, 1);
  Parameter a("a", {3}), b("b", {2});
  GradientReducer reducer(world, {&a, &b});
  for (int step = 0; step < 2; ++step) {  // the second step reuses the buckets
    a.grad = Tensor::from({3}, std::vector<float>{1, 2, 3});
    b.grad = Tensor::from({2}, std::vector<float>{4, 8});
    reducer.gradients_ready({&b}, 4);  // b reported during the backward pass, a at the end
    bool stop = false;
    const LossResult total = reducer.finish({10.0, 4}, stop);
    EXPECT_EQ(total.count, 4);
    EXPECT_DOUBLE_EQ(total.loss_sum, 10.0);
    EXPECT_FALSE(stop);
    // Sums (mean times count) divided by the global count: the gradients come back unchanged.
    EXPECT_FLOAT_EQ(a.grad[2], 3.0f);
    EXPECT_FLOAT_EQ(b.grad[1], 8.0f);
  }
  Parameter stranger("c", {1});
  EXPECT_THROW(reducer.gradients_ready({&stranger}, 1), Error);
}

}  // namespace
}  // namespace rnnkit
