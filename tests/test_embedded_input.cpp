// Embedded token ids for a forward pass without backward (RNN::forward_embedded,
// RecurrentLayer::forward_embedded): the first layer reads each token's gate input from a table
// of the vocabulary (embedding rows times W_ih^T plus the biases). Its outputs and states must
// agree with forward() on the embedded rows to float rounding, for every cell, stacked and
// bidirectional, with a projection, over sequences, single steps and single rows; the table must
// follow the weights (note_weights_changed()) and the embedding it was made from; backward after
// it, and ids outside the vocabulary, are errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "error_of.h"
#include "gradient_check.h"
#include "rnnkit/embedding.h"
#include "rnnkit/error.h"
#include "rnnkit/recurrent_layer.h"
#include "rnnkit/rnn.h"
#include "rnnkit/single_row_product.h"
#include "settings_guard.h"
#include "stack_case.h"

namespace rnnkit {
namespace {

using namespace rnnkit::testing;

struct EmbeddedStack {
  static constexpr int64_t V = 13, E = 5, H = 6;
  RNN rnn;
  Embedding embedding{V, E};
  std::vector<int32_t> ids;
  Tensor h0, c0;
  int64_t T, B;

  explicit EmbeddedStack(const StackCase& c)
      : rnn({c.cell, E, H, c.layers, c.bidirectional, 0.0f, c.proj_size}), T(c.T), B(c.B) {
    Rng rng(5);
    rnn.reset_parameters(rng);
    embedding.reset_parameters(rng);
    ids.resize(static_cast<size_t>(T * B));
    for (auto& id : ids) id = static_cast<int32_t>(rng.below(V));
    h0 = random_tensor(rnn.state_shape(B), rng, 0.5f);
    c0 = random_tensor(rnn.cell_state_shape(B), rng, 0.5f);
    note_weights_changed();
  }
  bool lstm() const { return has_cell_state(rnn.options().cell); }
  // y, hN and cN of forward() on the embedded rows, or of forward_embedded.
  std::vector<Tensor> run(bool table) {
    Tensor y, hN, cN;
    const Tensor* c = lstm() ? &c0 : nullptr;
    Tensor* cn = lstm() ? &cN : nullptr;
    if (table) {
      rnn.forward_embedded(ids, embedding.weight.value, T, B, &h0, c, y, &hN, cn);
    } else {
      Tensor x({T, B, E});
      embedding.forward(ids, x.data());
      rnn.forward(x, &h0, c, y, &hN, cn, false, nullptr);
    }
    return {y, hN, cN};
  }
  void expect_table_matches_rows(const std::string& what) {
    const std::vector<Tensor> want = run(false), got = run(true);
    expect_close(want[0], got[0], what + " y");
    expect_close(want[1], got[1], what + " hN");
    if (lstm()) expect_close(want[2], got[2], what + " cN");
  }
};

class EmbeddedInput : public ::testing::TestWithParam<StackCase> {};

TEST_P(EmbeddedInput, MatchesTheEmbeddedRowsToRounding) {
  SettingsGuard guard;
  set_num_threads(2);  // 32 rows: two slices of the batch side by side, each on its own states
  EmbeddedStack s(GetParam());
  ASSERT_TRUE(s.rnn.embedded_input_suits(EmbeddedStack::V));
  s.expect_table_matches_rows("fresh table");
  // The same table again, and a new one after every weight the table holds has changed.
  s.expect_table_matches_rows("kept table");
  Rng rng(9);
  for (Parameter* p : s.rnn.parameters())
    for (float& v : p->value.span()) v += 0.1f * rng.uniform(-1.0f, 1.0f);
  for (float& v : s.embedding.weight.value.span()) v += 0.1f * rng.uniform(-1.0f, 1.0f);
  note_weights_changed();
  s.expect_table_matches_rows("after note_weights_changed");
}

INSTANTIATE_TEST_SUITE_P(Cells, EmbeddedInput,
                         ::testing::Values(StackCase{CellKind::Lstm, 2, false},
                                           StackCase{CellKind::Gru, 2, true},
                                           StackCase{CellKind::RnnTanh, 1, false},
                                           StackCase{CellKind::RnnRelu, 2, true},
                                           StackCase{CellKind::Lstm, 2, true, 4},
                                           StackCase{CellKind::Lstm, 2, false, 0, 1, 3},
                                           StackCase{CellKind::Gru, 1, false, 0, 1, 1},
                                           StackCase{CellKind::Lstm, 1, true, 0, 9, 1},
                                           StackCase{CellKind::Gru, 2, true, 0, 9, 32},
                                           StackCase{CellKind::Lstm, 2, false, 3, 9, 32}),
                         [](const auto& info) { return case_name(info.param); });

TEST(EmbeddedInput, ATableFollowsTheEmbeddingItWasMadeFrom) {
  EmbeddedStack s(StackCase{CellKind::Lstm, 1, false});
  s.run(true);
  // Another embedding of the same shape, at another address, with no note_weights_changed().
  Embedding other(EmbeddedStack::V, EmbeddedStack::E);
  Rng rng(21);
  other.reset_parameters(rng);
  std::swap(s.embedding.weight.value, other.weight.value);
  s.expect_table_matches_rows("another embedding");
}

TEST(EmbeddedInput, BackwardAfterItIsAnError) {
  EmbeddedStack s(StackCase{CellKind::Lstm, 2, false});
  const std::vector<Tensor> out = s.run(true);
  Tensor dh0, dc0;
  const std::string message =
      error_of([&] { s.rnn.backward(out[0], nullptr, nullptr, nullptr, &dh0, &dc0); });
  EXPECT_NE(message.find("forward_embedded"), std::string::npos) << message;
  // A plain forward pass makes backward possible again.
  s.run(false);
  EXPECT_NO_THROW(s.rnn.backward(out[0], nullptr, nullptr, nullptr, &dh0, &dc0));
}

// A dense forward pass without backward keeps two slots of states instead of every step's: the
// same products in the same order, so the same bits, in either direction, for every cell and
// with a projection; backward after it is an error.
TEST(ForwardOnly, ADenseForwardOnlyPassIsTheFullPassBitForBit) {
  SettingsGuard guard;
  set_num_threads(2);
  const int64_t I = 5, H = 6, T = 9;
  for (CellKind cell : {CellKind::Lstm, CellKind::Gru, CellKind::RnnTanh, CellKind::RnnRelu})
    for (bool reverse : {false, true})
      for (int64_t P : {int64_t{0}, int64_t{4}})
        for (int64_t B : {int64_t{1}, int64_t{5}, int64_t{32}}) {
          if (P && cell != CellKind::Lstm) continue;
          const std::string what = cell_kind_name(cell) + (reverse ? " reverse" : "") + " P " +
                                   std::to_string(P) + " B " + std::to_string(B);
          RecurrentLayer layer(cell, I, H, reverse, "rnn", "_l0", P);
          Rng rng(3);
          for (Parameter* p : layer.parameters())
            for (float& v : p->value.span()) v = rng.uniform(-0.5f, 0.5f);
          note_weights_changed();
          const int64_t S = layer.state_size();
          const Tensor x = random_tensor({T, B, I}, rng, 1.0f),
                       h0 = random_tensor({B, S}, rng, 0.5f), c0 = random_tensor({B, H}, rng, 0.5f);
          const bool lstm = has_cell_state(cell);
          auto run = [&](bool forward_only) {
            Tensor y({T, B, S}), hT({B, S}), cT({B, H});
            layer.forward(x.data(), I, T, B, h0.data(), lstm ? c0.data() : nullptr, y.data(), S,
                          hT.data(), lstm ? cT.data() : nullptr, forward_only);
            return std::vector<Tensor>{y, hT, cT};
          };
          const std::vector<Tensor> full = run(false), kept = run(true);
          for (size_t i = 0; i < full.size(); ++i)
            for (int64_t j = 0; j < full[i].numel(); ++j)
              ASSERT_EQ(full[i][j], kept[i][j]) << what << ", output " << i << " entry " << j;
          Tensor dy({T, B, S}), dx({T, B, I});
          const std::string message = error_of([&] {
            layer.backward(dy.data(), S, nullptr, nullptr, dx.data(), I, false, nullptr, nullptr);
          });
          EXPECT_NE(message.find("forward-only pass"), std::string::npos)
              << what << ": " << message;
        }
}

TEST(EmbeddedInput, AnIdOutsideTheVocabularyIsAnError) {
  EmbeddedStack s(StackCase{CellKind::Gru, 1, false});
  s.ids[4] = static_cast<int32_t>(EmbeddedStack::V);
  const std::string message = error_of([&] { s.run(true); });
  EXPECT_NE(message.find("token id 13 (row 4) is outside the 13 tokens of the vocabulary"),
            std::string::npos)
      << message;
  s.ids[4] = -1;
  EXPECT_THROW(s.run(true), Error);
}

TEST(EmbeddedInput, TablesLargerThanTheLimitDoNotSuit) {
  RNN rnn({CellKind::Lstm, 8, 256, 1, false, 0.0f, 0});
  // 4 gates x 256: 32,768 classes make the 2^25-float limit exactly.
  EXPECT_TRUE(rnn.embedded_input_suits(32768));
  EXPECT_FALSE(rnn.embedded_input_suits(32769));
}

}  // namespace
}  // namespace rnnkit
