#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rnnkit/rng.h"
#include "rnnkit/token_batch.h"

namespace rnnkit {

// Poems as token ids: each sequence is the start id, the ids of the poem's characters, the
// end-of-poem id (<START> ... <EOP>, as in the PyTorch Tang-poetry tutorial).
struct PoemSequences {
  std::vector<std::vector<int32_t>> seqs;
};

// `to_id` maps a character to its id (the caller's vocabulary; it may throw for unknown ones).
PoemSequences make_poem_sequences(const std::vector<std::u32string>& poems, int32_t start_id,
                                  int32_t eop_id, const std::function<int32_t(char32_t)>& to_id);

struct PoemBatcherOptions {
  int64_t batch = 128;       // poems per batch (the last batch of an epoch may hold fewer)
  int64_t max_length = 125;  // longer sequences are cut to their first max_length ids
  bool packed = true;
};

// Whole-poem batches: sequence s gives inputs s[0..L-2] and targets s[1..L-1] (L = its length
// after the cut, so a cut poem loses its end id, as in the tutorial). Time-major, padded at the
// end: past a sequence's end, inputs hold pad_id and targets kIgnoreIndex (-100). Every batch
// starts from a zero state. An epoch has ceil(N / batch) batches and uses every poem once.
//  - padded: every batch has T = max_length - 1 steps; an epoch is a shuffle of the poems, cut
//    into consecutive batches;
//  - packed: the shuffled poems are stably sorted by length and cut into consecutive batches
//    (so a batch holds poems of about the same length, ties differing from epoch to epoch),
//    each with T = its longest sequence - 1; the batches then come in shuffled order. Almost no
//    step is spent on padding (see padding_fraction()).
// Each epoch's shuffles are drawn from Rng(seed), where `seed` is one draw from the caller's Rng
// when the epoch begins (the constructor begins epoch 0). The position's `offset` holds that seed,
// so set_position() rebuilds the epoch's exact order whatever state the caller's Rng is in.
// `seqs` and `rng` must outlive the batcher.
class PoemBatcher : public TokenBatcher {
 public:
  using Position = BatchPosition;

  // Error for no sequences, a sequence shorter than 2 ids, batch < 1 or max_length < 2.
  PoemBatcher(const std::vector<std::vector<int32_t>>* seqs, int32_t pad_id,
              PoemBatcherOptions options, Rng* rng);

  int64_t batches_per_epoch() const override;
  bool next(TokenBatch& batch) override;
  void start_epoch() override;
  bool starts_new_stream() const override { return true; }
  Position position() const override { return {epoch_, index_, seed_}; }
  // Error for a negative epoch, an index outside [0, batches_per_epoch()] or a negative offset.
  void set_position(const Position& position) override;

  // The fraction of the target slots of an epoch that are padding (the same in every epoch).
  double padding_fraction() const { return padding_fraction_; }

 private:
  void build_epoch_order();

  const std::vector<std::vector<int32_t>>* seqs_;
  int32_t pad_id_;
  PoemBatcherOptions options_;
  Rng* rng_;
  std::vector<int64_t> lengths_;  // after the cut to max_length
  double padding_fraction_ = 0.0;
  int64_t epoch_ = 0, index_ = 0, seed_ = 0;
  std::vector<int64_t> order_;        // sequence indices; batch k is order_[k*B, (k+1)*B)
  std::vector<int64_t> batch_order_;  // the order in which the batches k come this epoch
};

}  // namespace rnnkit
