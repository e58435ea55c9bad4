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

// The decode loops of the served model (--max-batch > 1): `loops` threads, each with its own
// model copy, that advance their admitted sampling requests (/v1/generate without beam,
// /v1/poem) one token per step as one batched forward (DecodeBatch). A request goes to the loop
// with the fewest requests, waits in that loop's queue and joins between two steps, after its
// prompt is read; it leaves when it ends, a client gone included (its piece callback says so).
// Loops share nothing while they step, so each keeps a core busy without waiting for the others
// (one loop with two compute threads meets them at every product's barrier). At most max_batch
// requests decode in each loop and `queue` more wait in all; beyond, submit() refuses.
class DecodeScheduler {
 public:
  // Called on a loop's thread when the session has ended (error: what it threw, or null).
  using OnEnd = std::function<void(std::exception_ptr error)>;

  DecodeScheduler(LanguageModel& prototype, int loops, int max_batch, int queue, int threads);
  ~DecodeScheduler();  // close() and wait for the loops

  // The model the sessions run on (its config checks a request; every loop's copy is the same).
  const LanguageModel& model() const { return *loops_.front()->model; }
  // Admits the session; HttpError 503 when the batches and the queue are full or the scheduler
  // is closed. `admit_always` skips the bound (the later poems of a request already admitted).
  void submit(std::shared_ptr<DecodeSession> session, OnEnd on_end, bool admit_always = false);
  // Runs the session to its end on the calling thread's behalf; HttpError 503 when refused, the
  // session's own exception when it threw.
  void run(std::shared_ptr<DecodeSession> session, bool admit_always = false);
  // Ends the sessions waiting and refuses new ones; running ones end through their callbacks.
  void close();

  struct Load {
    int loops = 0, max_batch = 0, running = 0, waiting = 0, queue = 0;
    int widest = 0;  // the most sessions one step of a loop has decoded so far
  };
  Load load() const;

 private:
  struct Entry {
    std::shared_ptr<DecodeSession> session;
    OnEnd on_end;
  };
  struct Loop {
    std::unique_ptr<LanguageModel> model;
    std::deque<Entry> waiting;  // guarded by mutex_, like `running`
    int running = 0;
    std::condition_variable wake;
    std::thread thread;
  };
  void run_loop(Loop& loop);
  Load load_locked() const;  // with mutex_ held
  void admit_waiting(Loop& loop, DecodeBatch& batch, std::vector<Entry>& running);

  const int max_batch_, queue_, threads_;
  std::vector<std::unique_ptr<Loop>> loops_;
  mutable std::mutex mutex_;
  int widest_ = 0;
  bool closed_ = false;
};

}  // namespace rnnkit::serve
