#include <array>
#include <cmath>

#include "nn/cell_type.h"
#include "rnnkit/error.h"

namespace rnnkit {

namespace {

// Every cell rnnkit knows, by name; a new cell adds its CellType here.
constexpr std::array<const CellType*, 4> kCells = {&rnn_tanh_cell, &rnn_relu_cell, &lstm_cell,
                                                   &gru_cell};

}  // namespace

const CellKind CellKind::RnnTanh{&rnn_tanh_cell};
const CellKind CellKind::RnnRelu{&rnn_relu_cell};
const CellKind CellKind::Lstm{&lstm_cell};
const CellKind CellKind::Gru{&gru_cell};

float torch_init_bound(int64_t hidden_size) {
  return 1.0f / std::sqrt(static_cast<float>(hidden_size));
}

CellKind parse_cell_kind(std::string_view name) {
  if (name == "rnn") return CellKind::RnnTanh;  // torch.nn.RNN's default nonlinearity
  std::string names;
  for (const CellType* cell : kCells) {
    if (name == cell->name) return CellKind(cell);
    names += (names.empty() ? "" : ", ") + std::string(cell->name);
  }
  throw Error("unknown cell '" + std::string(name) + "' (expected one of " + names + ")");
}

std::optional<CellKind> cell_kind_with_gates(int gates) {
  for (const CellType* cell : kCells)
    if (cell->gate_count == gates) return CellKind(cell);
  return std::nullopt;
}

std::string cell_kind_name(CellKind kind) {
  return kind.type().name;
}

int gate_count(CellKind kind) {
  return kind.type().gate_count;
}

bool has_cell_state(CellKind kind) {
  return kind.type().has_cell_state;
}

bool supports_projection(CellKind kind) {
  return kind.type().supports_projection;
}

int remember_gate(CellKind kind) {
  return kind.type().remember_gate;
}

}  // namespace rnnkit
