#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "rnnkit/text_generator.h"

namespace rnnkit::serve {

// The pieces of a session decoded in a decode loop, on their way to the connection thread
// that streams them: the decode loop never waits on a client's socket.
class PieceChannel {
 public:
  explicit PieceChannel(const std::atomic<bool>& stopping) : stopping_(stopping) {}

  // The session's PieceCallback (any thread of the decode loop's step): queues the piece under
  // the channel's mutex; false once the client is gone or the server stops, which ends the
  // session at its next token.
  PieceCallback listener();
  // The session ended (the decode loop's thread); error: what it threw.
  void end(std::exception_ptr error);
  // The next piece (connection thread), waiting for it; nullopt once the session has ended and
  // every piece was taken, or rethrows the session's error.
  std::optional<std::string> pop();
  // The client is gone: the session stops at its next token.
  void cancel() { cancelled_ = true; }

 private:
  const std::atomic<bool>& stopping_;
  std::atomic<bool> cancelled_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> pieces_;
  bool ended_ = false;
  std::exception_ptr error_;
};

}  // namespace rnnkit::serve
