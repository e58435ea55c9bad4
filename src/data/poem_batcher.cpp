#include "rnnkit/poem_batcher.h"

#include <algorithm>
#include <numeric>

#include "data/batcher_checks.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

// Fisher-Yates with Rng::below, the same shuffle the poem split uses.
void shuffle(std::vector<int64_t>& items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[rng.below(i)]);
  }
}

// Seeds live in a BatchPosition's int64_t offset, so they keep to 63 bits.
int64_t draw_seed(Rng& rng) {
  return static_cast<int64_t>(rng.next_u64() >> 1);
}

}  // namespace

PoemSequences make_poem_sequences(const std::vector<std::u32string>& poems, int32_t start_id,
                                  int32_t eop_id, const std::function<int32_t(char32_t)>& to_id) {
  PoemSequences sequences;
  sequences.seqs.reserve(poems.size());
  for (const std::u32string& poem : poems) {
    std::vector<int32_t>& seq = sequences.seqs.emplace_back();
    seq.reserve(poem.size() + 2);
    seq.push_back(start_id);
    for (const char32_t c : poem) seq.push_back(to_id(c));
    seq.push_back(eop_id);
  }
  return sequences;
}

PoemBatcher::PoemBatcher(const std::vector<std::vector<int32_t>>* seqs, int32_t pad_id,
                         PoemBatcherOptions options, Rng* rng)
    : seqs_(seqs), pad_id_(pad_id), options_(options), rng_(rng) {
  if (seqs_ == nullptr || seqs_->empty()) throw Error("poem batching needs at least one poem");
  if (rng_ == nullptr) throw Error("poem batching needs a random number generator");
  if (options_.batch < 1) {
    throw Error("the batch size must be at least 1, not " + std::to_string(options_.batch));
  }
  if (options_.max_length < 2) {
    throw Error("the maximum poem sequence length must be at least 2 (start and end), not " +
                std::to_string(options_.max_length));
  }
  lengths_.reserve(seqs_->size());
  for (size_t i = 0; i < seqs_->size(); ++i) {
    const auto length = static_cast<int64_t>((*seqs_)[i].size());
    if (length < 2) {
      throw Error("poem sequence " + std::to_string(i) + " has " + std::to_string(length) +
                  " ids; a sequence holds at least its start and end ids");
    }
    lengths_.push_back(std::min(length, options_.max_length));
  }

  // Packed batches are runs of the length-sorted poems, so each batch's T is set by the sorted
  // lengths alone, whatever order ties take: the padding is the same in every epoch.
  const auto B = static_cast<size_t>(options_.batch);
  std::vector<int64_t> sorted = lengths_;
  std::sort(sorted.begin(), sorted.end());
  int64_t targets = 0, slots = 0;
  for (size_t start = 0; start < sorted.size(); start += B) {
    const size_t end = std::min(start + B, sorted.size());
    const int64_t steps = options_.packed ? sorted[end - 1] - 1 : options_.max_length - 1;
    slots += steps * static_cast<int64_t>(end - start);
    for (size_t k = start; k < end; ++k) targets += sorted[k] - 1;
  }
  padding_fraction_ = 1.0 - static_cast<double>(targets) / static_cast<double>(slots);

  seed_ = draw_seed(*rng_);
  build_epoch_order();
}

int64_t PoemBatcher::batches_per_epoch() const {
  return (static_cast<int64_t>(seqs_->size()) + options_.batch - 1) / options_.batch;
}

void PoemBatcher::build_epoch_order() {
  Rng rng(static_cast<uint64_t>(seed_));
  order_.resize(seqs_->size());
  std::iota(order_.begin(), order_.end(), int64_t{0});
  shuffle(order_, rng);
  batch_order_.resize(static_cast<size_t>(batches_per_epoch()));
  std::iota(batch_order_.begin(), batch_order_.end(), int64_t{0});
  if (options_.packed) {
    std::stable_sort(order_.begin(), order_.end(),
                     [this](int64_t a, int64_t b) { return lengths_[a] < lengths_[b]; });
    shuffle(batch_order_, rng);
  }
}

bool PoemBatcher::next(TokenBatch& batch) {
  if (index_ >= batches_per_epoch()) return false;
  const int64_t first = batch_order_[index_] * options_.batch;
  const int64_t B = std::min(options_.batch, static_cast<int64_t>(order_.size()) - first);
  const int64_t* members = order_.data() + first;
  int64_t T = options_.max_length - 1;
  if (options_.packed) {
    T = 0;
    for (int64_t b = 0; b < B; ++b) T = std::max(T, lengths_[members[b]] - 1);
  }
  batch.steps = T;
  batch.batch = B;
  batch.inputs.assign(static_cast<size_t>(T * B), pad_id_);
  batch.targets.assign(static_cast<size_t>(T * B), kIgnoreIndex);
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<int32_t>& seq = (*seqs_)[members[b]];
    const int64_t steps = lengths_[members[b]] - 1;
    for (int64_t t = 0; t < steps; ++t) {
      batch.inputs[t * B + b] = seq[t];
      batch.targets[t * B + b] = seq[t + 1];
    }
  }
  ++index_;
  return true;
}

void PoemBatcher::start_epoch() {
  ++epoch_;
  index_ = 0;
  seed_ = draw_seed(*rng_);
  build_epoch_order();
}

void PoemBatcher::set_position(const Position& position) {
  check_saved_position(position, batches_per_epoch(), "these poems");
  if (position.offset < 0) {
    throw Error("the saved poem shuffle seed " + std::to_string(position.offset) +
                " is negative; it was not written by poem batching");
  }
  epoch_ = position.epoch;
  index_ = position.index;
  seed_ = position.offset;
  build_epoch_order();
}

}  // namespace rnnkit
