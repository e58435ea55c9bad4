// One-hot input from token ids (RNN::forward_one_hot, RecurrentLayer::forward_one_hot): the first
// layer gathers W_ih's columns instead of multiplying a one-hot tensor. Its outputs and states
// must be bit for bit those of the dense path (forward() on one_hot()'s tensor: a GEMM), its
// parameter gradients (the scatter-add of dW_ih) those of the dense path's GEMMs to rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "error_of.h"
#include "gradient_check.h"
#include "rnnkit/embedding.h"
#include "rnnkit/error.h"
#include "rnnkit/rnn.h"
#include "stack_case.h"

namespace rnnkit {
namespace {

using testing::error_of;
using testing::random_tensor;

using testing::case_name;
using testing::expect_close;
using OneHotCase = testing::StackCase;

void expect_bitwise_equal(const Tensor& dense, const Tensor& gathered, const std::string& what) {
  ASSERT_EQ(dense.shape(), gathered.shape()) << what;
  ASSERT_GT(dense.numel(), 0) << what;
  EXPECT_EQ(std::memcmp(dense.data(), gathered.data(), sizeof(float) * dense.numel()), 0)
      << what << " differs from the dense one-hot path";
}

class OneHotInput : public ::testing::TestWithParam<OneHotCase> {};

TEST_P(OneHotInput, MatchesTheDenseOneHotPath) {
  const OneHotCase c = GetParam();
  const int64_t V = 11, H = 6, T = c.T, B = c.B;
  RNN rnn({c.cell, V, H, c.layers, c.bidirectional, c.dropout, c.proj_size});
  Rng rng(3);
  rnn.reset_parameters(rng);
  const bool lstm = has_cell_state(c.cell);
  std::vector<int32_t> ids(T * B);
  for (auto& id : ids) id = static_cast<int32_t>(rng.uniform() * V) % V;
  Tensor x({T, B, V});
  one_hot(ids, V, x.data());
  const Tensor h0 = random_tensor(rnn.state_shape(B), rng, 0.5f);
  const Tensor c0 = random_tensor(rnn.cell_state_shape(B), rng, 0.5f);
  const Tensor dy = random_tensor({T, B, rnn.output_size()}, rng);
  const Tensor dhN = random_tensor(rnn.state_shape(B), rng);
  const Tensor dcN = random_tensor(rnn.cell_state_shape(B), rng);

  struct Run {
    Tensor y, hN, cN, dh0, dc0;
    std::vector<Tensor> grads;
  };
  auto run = [&](bool gathered) {
    Run r;
    for (Parameter* p : rnn.parameters()) p->grad.zero();
    Rng dropout_rng(9);
    const Tensor* c0p = lstm ? &c0 : nullptr;
    Tensor* cNp = lstm ? &r.cN : nullptr;
    if (gathered)
      rnn.forward_one_hot(ids, T, B, &h0, c0p, r.y, &r.hN, cNp, true, &dropout_rng);
    else
      rnn.forward(x, &h0, c0p, r.y, &r.hN, cNp, true, &dropout_rng);
    rnn.backward(dy, &dhN, lstm ? &dcN : nullptr, nullptr, &r.dh0, lstm ? &r.dc0 : nullptr);
    for (Parameter* p : rnn.parameters()) r.grads.push_back(p->grad);
    return r;
  };
  const Run dense = run(false), gathered = run(true);

  expect_bitwise_equal(dense.y, gathered.y, "y");
  expect_bitwise_equal(dense.hN, gathered.hN, "hN");
  if (lstm) expect_bitwise_equal(dense.cN, gathered.cN, "cN");
  expect_close(dense.dh0, gathered.dh0, "dh0");
  if (lstm) expect_close(dense.dc0, gathered.dc0, "dc0");
  const ParameterList params = rnn.parameters();
  for (size_t i = 0; i < params.size(); ++i)
    expect_close(dense.grads[i], gathered.grads[i], params[i]->name);
}

INSTANTIATE_TEST_SUITE_P(
    Stacks, OneHotInput,
    ::testing::Values(OneHotCase{CellKind::RnnTanh, 1, false},
                      OneHotCase{CellKind::RnnRelu, 2, true}, OneHotCase{CellKind::Lstm, 1, false},
                      OneHotCase{CellKind::Lstm, 2, true}, OneHotCase{CellKind::Gru, 1, false},
                      OneHotCase{CellKind::Gru, 2, true}, OneHotCase{CellKind::Lstm, 1, false, 3},
                      OneHotCase{CellKind::Lstm, 2, true, 4},
                      OneHotCase{CellKind::Lstm, 2, false, 0, 40, 32, 0.3f},
                      OneHotCase{CellKind::Gru, 2, true, 0, 1, 1},
                      OneHotCase{CellKind::Lstm, 2, false, 3, 1, 3},
                      OneHotCase{CellKind::RnnTanh, 1, true, 0, 6, 1}),
    [](const auto& info) { return case_name(info.param); });

TEST(OneHotInput, RejectsAnIdOutsideTheInputClasses) {
  RNN rnn({CellKind::Gru, 4, 3, 2, true});
  Tensor y;
  for (int32_t bad : {4, -1}) {
    const std::vector<int32_t> ids = {0, 3, bad, 1};
    const std::string message = error_of([&] {
      rnn.forward_one_hot(ids, 2, 2, nullptr, nullptr, y, nullptr, nullptr, false, nullptr);
    });
    EXPECT_NE(message.find("token id " + std::to_string(bad)), std::string::npos) << message;
    EXPECT_NE(message.find("4 input classes"), std::string::npos) << message;
  }
  RecurrentLayer layer(CellKind::Lstm, 4, 3, false, "rnn", "_l0");
  const std::vector<int32_t> ids = {2, 7};
  Tensor out({2, 1, 3});
  const std::string message = error_of([&] {
    layer.forward_one_hot(ids.data(), 2, 1, nullptr, nullptr, out.data(), 3, nullptr, nullptr);
  });
  EXPECT_NE(message.find("token id 7"), std::string::npos) << message;
}

TEST(OneHotInput, RejectsIdsThatDoNotFillTheBatch) {
  RNN rnn({CellKind::Lstm, 4, 3});
  Tensor y;
  const std::vector<int32_t> ids = {0, 1, 2};
  const std::string message = error_of([&] {
    rnn.forward_one_hot(ids, 2, 2, nullptr, nullptr, y, nullptr, nullptr, false, nullptr);
  });
  EXPECT_NE(message.find("3 one-hot token ids for 2 steps x 2 sequences"), std::string::npos)
      << message;
}

TEST(OneHotInput, HasNoInputGradient) {
  RNN rnn({CellKind::Lstm, 4, 3, 2});
  Rng rng(1);
  rnn.reset_parameters(rng);
  const std::vector<int32_t> ids = {0, 1, 2, 3};
  Tensor y, dx;
  rnn.forward_one_hot(ids, 2, 2, nullptr, nullptr, y, nullptr, nullptr, false, nullptr);
  const Tensor dy = random_tensor(y.shape(), rng);
  const std::string message =
      error_of([&] { rnn.backward(dy, nullptr, nullptr, &dx, nullptr, nullptr); });
  EXPECT_NE(message.find("no input gradient (dx) after forward_one_hot"), std::string::npos)
      << message;

  RecurrentLayer& layer = rnn.layer(0, 0);
  Tensor out({2, 2, 3}), dlayer({2, 2, 4});
  layer.forward_one_hot(ids.data(), 2, 2, nullptr, nullptr, out.data(), 3, nullptr, nullptr);
  const std::string layer_message = error_of([&] {
    layer.backward(dy.data(), 3, nullptr, nullptr, dlayer.data(), 4, false, nullptr, nullptr);
  });
  EXPECT_NE(layer_message.find("no input gradient (dx) after a one-hot forward"), std::string::npos)
      << layer_message;
}

}  // namespace
}  // namespace rnnkit
