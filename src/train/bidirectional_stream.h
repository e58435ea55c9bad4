#pragma once
#include <span>

#include "rnnkit/language_model.h"

namespace rnnkit {

// Cross-entropy of predicting ids[t+1] for every t when a bidirectional model reads the whole
// stream ids[0 .. N-2] as one sequence from zero states, as PyTorch's model(ids[:-1]) does: the
// reverse directions start at the end of the stream.
//
// A pass over the whole sequence at once would keep gates, states and outputs of every layer for
// every token (tens of kB per token). Instead the stream is cut into chunks of `chunk` tokens and
// each direction of each layer is run once over all chunks in its own order, recording only its
// state at every chunk boundary. The outputs of a chunk are then recomputed from those states.
// Memory: one chunk's activations plus, per chunk, the boundary states (h, and c for an LSTM) of
// every layer and direction: 4·L·H floats (LSTM; 2·L·H otherwise) per `chunk` tokens. Time: the
// sweeps of a layer recompute the layers below it, so the recurrent work is (L² + (L-1)² + 2L) /
// 2L times that of a single pass: 1.5× for one layer, 2.25× for two, 3.2× for three.
LossResult bidirectional_stream_loss(LanguageModel& model, std::span<const int32_t> ids,
                                     int64_t chunk);

}  // namespace rnnkit
