#include "rnnkit/decode_session.h"

#include <algorithm>
#include <exception>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/single_row_product.h"
#include "rnnkit/text_generator.h"

namespace rnnkit {
namespace {

// [T, B + 1, F]: the batch's columns, then the one column of `row` [T, 1, F].
Tensor append_column(const Tensor& batch, const Tensor& row) {
  if (batch.numel() == 0) return row;
  const int64_t T = batch.dim(0), B = batch.dim(1), F = batch.dim(2);
  Tensor joined({T, B + 1, F});
  for (int64_t t = 0; t < T; ++t) {
    std::copy_n(batch.data() + t * B * F, B * F, joined.data() + t * (B + 1) * F);
    std::copy_n(row.data() + t * F, F, joined.data() + (t * (B + 1) + B) * F);
  }
  return joined;
}

}  // namespace

DecodeBatch::DecodeBatch(LanguageModel& model, int64_t max_rows)
    : model_(model), max_rows_(max_rows) {
  if (max_rows < 1 || max_rows > kMaxStepRows)
    throw Error("a decode batch holds 1.." + std::to_string(kMaxStepRows) + " sessions, not " +
                std::to_string(max_rows));
}

bool DecodeBatch::join(DecodeSession& session) {
  if (full()) throw Error("the decode batch is full (" + std::to_string(max_rows_) + ")");
  if (session.done()) return false;
  const std::span<const int32_t> ids = session.prompt();
  if (ids.empty()) throw Error("a decode session needs a prompt of at least one token");
  // All but the prompt's last token are read alone; the last one is the session's first row of
  // the next batched step, so joining costs no step of its own (a poem's prompt is one token).
  LMState state;
  read_tokens(model_, ids.first(ids.size() - 1), state);
  if (state.h.empty()) state.h = Tensor(model_.rnn().state_shape(1));
  if (state.c.empty() && has_cell_state(model_.config().cell))
    state.c = Tensor(model_.rnn().cell_state_shape(1));
  sessions_.push_back(&session);
  tokens_.push_back(ids.back());
  state_.h = append_column(state_.h, state.h);
  if (!state.c.empty()) state_.c = append_column(state_.c, state.c);
  return true;
}

std::vector<EndedSession> DecodeBatch::step() {
  std::vector<EndedSession> ended;
  if (sessions_.empty()) return ended;
  model_.step(tokens_, state_, logits_);
  const int64_t V = logits_.dim(1), rows = size();
  // Each session draws from its own row with its own random numbers and keeps its own output, so
  // the rows' draws (a pass over the vocabulary each) are shared among the step's threads, which
  // would otherwise wait for one thread to draw them all.
  std::vector<std::optional<int32_t>> drawn(static_cast<size_t>(rows));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(rows));
#pragma omp parallel for schedule(static) if (rows > 1)
  for (int64_t b = 0; b < rows; ++b) {
    const auto row = static_cast<size_t>(b);
    try {
      drawn[row] = sessions_[row]->next(logits_.span().subspan(row * V, V));
    } catch (...) {
      errors[row] = std::current_exception();
    }
  }
  std::vector<int32_t> kept;
  for (size_t b = 0; b < sessions_.size(); ++b) {
    const std::optional<int32_t>& token = drawn[b];
    if (token && !errors[b]) {
      tokens_[b] = *token;
      kept.push_back(static_cast<int32_t>(b));
    } else {
      ended.push_back({sessions_[b], errors[b]});
    }
  }
  if (!ended.empty()) keep_rows(kept);
  return ended;
}

void DecodeBatch::leave(DecodeSession& session) {
  std::vector<int32_t> kept;
  for (size_t b = 0; b < sessions_.size(); ++b)
    if (sessions_[b] != &session) kept.push_back(static_cast<int32_t>(b));
  if (kept.size() != sessions_.size()) keep_rows(kept);
}

void DecodeBatch::keep_rows(const std::vector<int32_t>& rows) {
  std::vector<DecodeSession*> sessions;
  std::vector<int32_t> tokens;
  for (int32_t b : rows) {
    sessions.push_back(sessions_[static_cast<size_t>(b)]);
    tokens.push_back(tokens_[static_cast<size_t>(b)]);
  }
  sessions_ = std::move(sessions);
  tokens_ = std::move(tokens);
  if (rows.empty()) {
    state_.reset();
    return;
  }
  state_.h = gather_columns(state_.h, rows);
  state_.c = gather_columns(state_.c, rows);
}

void decode(LanguageModel& model, DecodeSession& session) {
  DecodeBatch batch(model, 1);
  if (!batch.join(session)) return;
  while (batch.size() > 0)
    for (const EndedSession& ended : batch.step())
      if (ended.error) std::rethrow_exception(ended.error);
}

}  // namespace rnnkit
