#pragma once
#include <string>
#include <string_view>

namespace rnnkit {

// The recurrent cells of torch.nn: RNN with tanh or relu, LSTM (gates i, f, g, o), GRU (r, z, n).
enum class CellKind { RnnTanh, RnnRelu, Lstm, Gru };

CellKind parse_cell_kind(std::string_view name);  // "rnn_tanh", "rnn_relu", "lstm", "gru"
std::string cell_kind_name(CellKind kind);
int gate_count(CellKind kind);  // rows of W_ih per hidden unit: 1, 1, 4, 3
inline bool has_cell_state(CellKind kind) {
  return kind == CellKind::Lstm;
}

}  // namespace rnnkit
