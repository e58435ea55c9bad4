// An RNN used in a way it cannot honour says so (an rnnkit::Error), rather than crashing or
// dropping what it was given.
#include <gtest/gtest.h>

#include <utility>

#include "error_of.h"
#include "rnnkit/rnn.h"

namespace rnnkit {
namespace {

using testing::error_of;

RNNOptions small(CellKind cell) {
  RNNOptions o;
  o.cell = cell;
  o.input_size = 3;
  o.hidden_size = 4;
  o.num_layers = 2;
  return o;
}

TEST(RNNMisuse, AMovedFromRNNIsAnErrorNotACrash) {
  RNN a(small(CellKind::Lstm));
  Rng rng(1);
  a.reset_parameters(rng);
  RNN b = std::move(a);
  const Tensor x({5, 2, 3});
  Tensor y;
  b.forward(x, nullptr, nullptr, y, nullptr, nullptr, false, nullptr);  // the layers moved here
  EXPECT_EQ(y.shape(), Shape({5, 2, 4}));
  const std::string moved = "RNN: this object was moved from; its layers are elsewhere";
  EXPECT_EQ(error_of([&] { a.forward(x, nullptr, nullptr, y, nullptr, nullptr, false, nullptr); }),
            moved);
  EXPECT_EQ(error_of([&] { a.backward(y, nullptr, nullptr, nullptr, nullptr, nullptr); }), moved);
}

TEST(RNNMisuse, ACellStateGivenToACellWithoutOneIsAnError) {
  for (CellKind cell : {CellKind::Gru, CellKind::RnnTanh, CellKind::RnnRelu}) {
    RNN rnn(small(cell));
    Rng rng(2);
    rnn.reset_parameters(rng);
    const Tensor x({5, 2, 3});
    const Tensor c0(rnn.cell_state_shape(2));
    Tensor y;
    EXPECT_EQ(error_of([&] { rnn.forward(x, nullptr, &c0, y, nullptr, nullptr, false, nullptr); }),
              "RNN: c0 is given, but a " + cell_kind_name(cell) +
                  " layer has no cell state (c0, cN and their gradients are the LSTM's)")
        << cell_kind_name(cell);
    rnn.forward(x, nullptr, nullptr, y, nullptr, nullptr, true, nullptr);
    const Tensor dy(y.shape());
    const Tensor dcN(rnn.cell_state_shape(2));
    EXPECT_NE(error_of([&] {
                rnn.backward(dy, nullptr, &dcN, nullptr, nullptr, nullptr);
              }).find("RNN: dcN is given, but a "),
              std::string::npos);
  }
}

}  // namespace
}  // namespace rnnkit
