#pragma once
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rnnkit/decode_session.h"
#include "rnnkit/language_model.h"

namespace rnnkit::serve {

// The decode loop of the served model (--max-batch > 1): one thread that advances every admitted
// sampling request (/v1/generate without beam, /v1/poem) one token per step as one batched
// forward (DecodeBatch). Requests wait in a queue and join between steps, after their prompt is
// read; they leave when they end, a client gone included (their piece callback says so). At most
// max_batch decode at once and `queue` more wait; beyond, submit() refuses.
class DecodeScheduler {
 public:
  // Called on the scheduler thread when the session has ended (error: what it threw, or null).
  using OnEnd = std::function<void(std::exception_ptr error)>;

  DecodeScheduler(LanguageModel& prototype, int max_batch, int queue, int threads);
  ~DecodeScheduler();  // close() and wait for the thread

  // The model the sessions run on (its config checks a request).
  const LanguageModel& model() const { return *model_; }
  // Admits the session; HttpError 503 when the batch and the queue are full or the scheduler is
  // closed. `admit_always` skips the bound (the later poems of a request already admitted).
  void submit(std::shared_ptr<DecodeSession> session, OnEnd on_end, bool admit_always = false);
  // Runs the session to its end on the calling thread's behalf; HttpError 503 when refused, the
  // session's own exception when it threw.
  void run(std::shared_ptr<DecodeSession> session, bool admit_always = false);
  // Ends the sessions waiting and refuses new ones; running ones end through their callbacks.
  void close();

  struct Load {
    int max_batch = 0, running = 0, waiting = 0, queue = 0;
    int widest = 0;  // the most sessions one step has decoded so far
  };
  Load load() const;

 private:
  struct Entry {
    std::shared_ptr<DecodeSession> session;
    OnEnd on_end;
  };
  void loop();
  void admit_waiting(DecodeBatch& batch, std::vector<Entry>& running);

  std::unique_ptr<LanguageModel> model_;
  const int max_batch_, queue_, threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Entry> waiting_;
  int running_ = 0;
  int widest_ = 0;
  bool closed_ = false;
  std::thread thread_;
};

}  // namespace rnnkit::serve
