#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <vector>

#include "rnnkit/language_model.h"

namespace rnnkit {

// One generation as a language model sees it: a prompt to read, then one token chosen from each
// step's logits. Text generation and poem writing are sessions; a DecodeBatch advances several
// sessions together, one batched forward per step, and decode() runs one alone (a batch of one:
// the same code). Each session keeps its own options, random numbers and output.
class DecodeSession {
 public:
  virtual ~DecodeSession() = default;
  // True when the session has ended (before reading its prompt, or after next() said so).
  virtual bool done() const = 0;
  // The ids read before the first next() call, at least one (Error otherwise).
  virtual std::span<const int32_t> prompt() const = 0;
  // Given the logits [V] of the next token: the token to feed the model, or nullopt when the
  // session ends (the last token it took, if any, is then not fed: nothing follows it). A
  // DecodeBatch calls the next() of its sessions at once on the threads of its step, so next()
  // touches only the session's own state, and its piece callback must be safe on any thread.
  virtual std::optional<int32_t> next(std::span<const float> logits) = 0;
};

// A session that left the batch at a step; `error` is set when its own draw threw (a NaN logit of
// its row), which ends it alone: the others' draws of that step stand.
struct EndedSession {
  DecodeSession* session = nullptr;
  std::exception_ptr error;
};

// Sessions decoded together on one model: each step feeds every session's token as one batch of
// rows (the products read the weights once for all rows) and hands each session its row of the
// logits. Sessions join and leave between steps. A row's logits are bit for bit those of the
// session decoded alone (SingleRowProduct::multiply_rows), so batching never changes an output.
class DecodeBatch {
 public:
  // At most max_rows sessions at once, 1..kMaxStepRows (Error otherwise).
  DecodeBatch(LanguageModel& model, int64_t max_rows);

  int64_t size() const { return static_cast<int64_t>(sessions_.size()); }
  bool full() const { return size() >= max_rows_; }
  // Reads the session's prompt but its last token (a forward of its own), which the next step
  // feeds with the others'; false (not joined) when the session has ended already. Error when
  // full.
  bool join(DecodeSession& session);
  // One step of every session in the batch; those that end (done, or failed) leave it and are
  // returned. Error when the step's product fails: every session's step is lost then.
  std::vector<EndedSession> step();
  // Takes a session out of the batch (its client is gone); nothing when it is not in it.
  void leave(DecodeSession& session);

 private:
  void keep_rows(const std::vector<int32_t>& rows);

  LanguageModel& model_;
  const int64_t max_rows_;
  std::vector<DecodeSession*> sessions_;
  std::vector<int32_t> tokens_;  // the token each session feeds next
  LMState state_;                // rows in the order of sessions_
  Tensor logits_;
};

// Runs one session to its end on `model`.
void decode(LanguageModel& model, DecodeSession& session);

}  // namespace rnnkit
