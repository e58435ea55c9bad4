#pragma once
#include <string>

#include "rnnkit/embedding.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// Copies vectors from a GloVe or word2vec text file (UTF-8, a byte order mark allowed; "token v1
// ... vE" per line; word2vec's "count E" first line is recognised and skipped) into the rows of
// the vocabulary's tokens. A token listed twice keeps its first vector (as gensim reads such
// files); tokens without a vector keep their initialisation. Returns how many rows were set.
// Error on a dimension that differs from the embedding's, a value that is not a finite float
// (one too small for a float reads as 0), or a malformed line (named by number).
int64_t load_pretrained_embeddings(Embedding& embedding, const Vocab& vocab,
                                   const std::string& path);

}  // namespace rnnkit
