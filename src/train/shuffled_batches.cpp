#include "train/shuffled_batches.h"

#include <string>

#include "rnnkit/error.h"
#include "rnnkit/pair_corpus.h"
#include "train/train_state.h"

namespace rnnkit {

void ShuffledBatches::start_epoch(Rng& rng) {
  epoch_rng_ = rng.state();
  batches_ = length_bucketed_batches(indices_, lengths_, batch_, &rng);
  next_ = 0;
}

const std::vector<int64_t>* ShuffledBatches::next() {
  return done() ? nullptr : &batches_[next_++];
}

nlohmann::json ShuffledBatches::position() const {
  std::vector<std::string> words;
  for (uint64_t w : epoch_rng_) words.push_back(std::to_string(w));
  return {{"batch_index", next_}, {"epoch_rng", words}};
}

void ShuffledBatches::restore(const nlohmann::json& position, Rng& rng) {
  rng.set_state(stored_rng(position.at("epoch_rng"), "epoch_rng"));
  start_epoch(rng);
  const int64_t index = stored_count(position, "batch_index");
  if (index > size())
    throw Error("the batch index " + std::to_string(index) + " is outside the epoch's " +
                std::to_string(size()) + " batches");
  next_ = index;
}

}  // namespace rnnkit
