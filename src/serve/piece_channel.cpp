#include "serve/piece_channel.h"

namespace rnnkit::serve {

PieceCallback PieceChannel::listener() {
  return [this](std::string_view piece) {
    if (cancelled_ || stopping_) return false;
    {
      std::lock_guard lock(mutex_);
      pieces_.emplace_back(piece);
    }
    changed_.notify_one();
    return true;
  };
}

void PieceChannel::end(std::exception_ptr error) {
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
    error_ = error;
  }
  changed_.notify_one();
}

std::optional<std::string> PieceChannel::pop() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return ended_ || !pieces_.empty(); });
  if (!pieces_.empty()) {
    std::string piece = std::move(pieces_.front());
    pieces_.pop_front();
    return piece;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

}  // namespace rnnkit::serve
