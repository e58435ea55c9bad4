#include "rnnkit/cell_kind.h"

#include "rnnkit/error.h"

namespace rnnkit {

CellKind parse_cell_kind(std::string_view name) {
  if (name == "rnn_tanh" || name == "rnn") return CellKind::RnnTanh;
  if (name == "rnn_relu") return CellKind::RnnRelu;
  if (name == "lstm") return CellKind::Lstm;
  if (name == "gru") return CellKind::Gru;
  throw Error("unknown cell '" + std::string(name) +
              "' (expected rnn_tanh, rnn_relu, lstm or gru)");
}

std::string cell_kind_name(CellKind kind) {
  switch (kind) {
    case CellKind::RnnTanh:
      return "rnn_tanh";
    case CellKind::RnnRelu:
      return "rnn_relu";
    case CellKind::Lstm:
      return "lstm";
    case CellKind::Gru:
      return "gru";
  }
  return "?";
}

int gate_count(CellKind kind) {
  switch (kind) {
    case CellKind::Lstm:
      return 4;
    case CellKind::Gru:
      return 3;
    default:
      return 1;
  }
}

}  // namespace rnnkit
