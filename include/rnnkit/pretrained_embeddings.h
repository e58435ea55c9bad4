#pragma once
#include <string>

#include "rnnkit/embedding.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// Copies vectors from a GloVe or word2vec text file ("token v1 ... vE" per line; word2vec's
// "count dim" first line is recognised and skipped) into the rows of the vocabulary's tokens.
// Tokens without a vector keep their initialisation. Returns how many rows were set. Error on a
// dimension that differs from the embedding's or a malformed line (named by number).
int64_t load_pretrained_embeddings(Embedding& embedding, const Vocab& vocab,
                                   const std::string& path);

}  // namespace rnnkit
