#pragma once
#include <memory>
#include <vector>

#include "rnnkit/rng.h"
#include "rnnkit/token_batch.h"
#include "rnnkit/train_options.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// The token streams (text) or sequences (poems) of a run, with their vocabulary.
struct TrainingData {
  Vocab vocab;
  bool poems = false;
  std::vector<int32_t> train_ids, valid_ids;
  std::vector<std::vector<int32_t>> train_seqs, valid_seqs;
};

// Reads and tokenises the data. With `vocab` given (resume, --init-from) it is used as is;
// otherwise it is built from the data.
TrainingData load_training_data(const TrainOptions& options, const Vocab* vocab);

std::unique_ptr<TokenBatcher> make_batcher(const TrainOptions& options, const TrainingData& data,
                                           Rng* rng);

}  // namespace rnnkit
