#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "rnnkit/cell_kind.h"
#include "rnnkit/checkpoint.h"
#include "rnnkit/error.h"

namespace rnnkit {

// The fields every recurrent model's configuration shares (LMConfig, Seq2seqConfig,
// ClassifierConfig): cell, vocab_size, embedding_dim, hidden_size, num_layers, bidirectional,
// dropout. One reading, writing and checking of them, with the same keys in every file.

// Error unless 0 < value <= 2^24 ("hidden_size must be positive, got 0").
void require_size(int64_t value, const char* name);

template <class Config>
void validate_stack(const Config& c, bool embedding_required) {
  require_size(c.vocab_size, "vocab_size");
  require_size(c.hidden_size, "hidden_size");
  require_size(c.num_layers, "num_layers");
  if (c.embedding_dim < 0) throw Error("embedding_dim must be >= 0 (0 = one-hot input)");
  if (c.embedding_dim || embedding_required) require_size(c.embedding_dim, "embedding_dim");
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    throw Error("dropout must be in [0, 1), got " + std::to_string(c.dropout));
}

template <class Config>
nlohmann::json stack_to_json(const Config& c) {
  return {{"cell", cell_kind_name(c.cell)},
          {"vocab_size", c.vocab_size},
          {"embedding_dim", c.embedding_dim},
          {"hidden_size", c.hidden_size},
          {"num_layers", c.num_layers},
          {"bidirectional", c.bidirectional},
          {"dropout", c.dropout}};
}

// `required`: embedding_dim and num_layers must be present (the older formats of some families
// left them out, meaning 0 and 1).
template <class Config>
void read_stack(const ConfigReader& r, Config& c, bool required) {
  c.cell = parse_cell_kind(r.string("cell"));
  c.vocab_size = r.integer("vocab_size", 0, true);
  c.embedding_dim = r.integer("embedding_dim", 0, required);
  c.hidden_size = r.integer("hidden_size", 0, true);
  c.num_layers = r.integer("num_layers", 1, required);
  c.bidirectional = r.boolean("bidirectional");
  c.dropout = static_cast<float>(r.number("dropout", 0.0));
}

}  // namespace rnnkit
