#pragma once
#include "rnnkit/cell_kind.h"
#include "rnnkit/train_options.h"

namespace rnnkit {

// Sets the recurrent stack of a model configuration (LMConfig, Seq2seqConfig, ClassifierConfig)
// from the shared model-shape options.
template <class Config>
void apply_model_shape(const ModelShapeOptions& o, Config& c) {
  c.cell = parse_cell_kind(o.cell);
  c.embedding_dim = o.embedding;
  c.hidden_size = o.hidden;
  c.num_layers = o.layers;
  c.bidirectional = o.bidirectional;
  c.dropout = static_cast<float>(o.dropout);
}

}  // namespace rnnkit
