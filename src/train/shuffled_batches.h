#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "rnnkit/rng.h"

namespace rnnkit {

// The batches of an epoch of examples bucketed by length and shuffled (pair_corpus.h's
// length_bucketed_batches), drawn from the run's Rng when the epoch starts. For an exact resume
// the position holds the Rng state of the epoch's start, from which the order is drawn again.
class ShuffledBatches {
 public:
  ShuffledBatches(std::vector<int64_t> indices, std::vector<int64_t> lengths, int64_t batch)
      : indices_(std::move(indices)), lengths_(std::move(lengths)), batch_(batch) {}

  void start_epoch(Rng& rng);
  int64_t size() const { return static_cast<int64_t>(batches_.size()); }
  bool done() const { return next_ >= size(); }
  // The example indices of the next batch, or null at the epoch's end.
  const std::vector<int64_t>* next();

  nlohmann::json position() const;
  // Draws the saved epoch's order again (rng ends in an unspecified state: the engine restores
  // it afterwards) and moves to the saved batch; Error for a malformed position.
  void restore(const nlohmann::json& position, Rng& rng);

 private:
  std::vector<int64_t> indices_, lengths_;
  int64_t batch_;
  std::vector<std::vector<int64_t>> batches_;
  int64_t next_ = 0;
  Rng::State epoch_rng_{};
};

}  // namespace rnnkit
