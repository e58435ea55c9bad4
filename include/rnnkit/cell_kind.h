#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace rnnkit {

// What a registered cell is made of (gate count, step kernels, init rule): src/nn/cell_type.h.
struct CellType;

// A recurrent cell of the registry (src/nn/cell_registry.cpp), found by its name. The cells of
// torch.nn have constants: RNN with tanh or relu, LSTM (gates i, f, g, o), GRU (r, z, n).
class CellKind {
 public:
  static const CellKind RnnTanh, RnnRelu, Lstm, Gru;

  constexpr explicit CellKind(const CellType* type) : type_(type) {}
  const CellType& type() const { return *type_; }
  bool operator==(const CellKind&) const = default;

 private:
  const CellType* type_;
};

CellKind parse_cell_kind(std::string_view name);  // a registered name, e.g. "lstm"
std::string cell_kind_name(CellKind kind);
int gate_count(CellKind kind);  // rows of W_ih per hidden unit: 1, 1, 4, 3
bool has_cell_state(CellKind kind);
bool supports_projection(CellKind kind);  // proj_size > 0 (torch: LSTM only)
// The gate whose input bias keeps the state when raised (LSTM's forget gate f, GRU's update
// gate z: index 1 of both), or -1 for a cell without one.
int remember_gate(CellKind kind);
// The first registered cell with this many gates (a checkpoint without config names no cell).
std::optional<CellKind> cell_kind_with_gates(int gates);

}  // namespace rnnkit
