#include "serve/decode_scheduler.h"

#include <algorithm>
#include <future>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "serve/http_error.h"
#include "serve/model_pool.h"

namespace rnnkit::serve {

DecodeScheduler::DecodeScheduler(LanguageModel& prototype, int loops, int max_batch, int queue,
                                 int threads)
    : max_batch_(max_batch), queue_(queue), threads_(threads) {
  if (loops < 1) throw Error("decode loops must be at least 1, got " + std::to_string(loops));
  DecodeBatch check(prototype, max_batch);  // Error for a size out of range
  for (int i = 0; i < loops; ++i) {
    loops_.push_back(std::make_unique<Loop>());
    loops_.back()->model = copy_model(prototype);
  }
  for (auto& loop : loops_) loop->thread = std::thread([this, l = loop.get()] { run_loop(*l); });
}

DecodeScheduler::~DecodeScheduler() {
  close();
  for (auto& loop : loops_) loop->thread.join();
}

void DecodeScheduler::submit(std::shared_ptr<DecodeSession> session, OnEnd on_end,
                             bool admit_always) {
  Loop* target = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (closed_) throw shutting_down();
    const Load now = load_locked();
    const int places = max_batch_ * now.loops;
    if (!admit_always && now.running + now.waiting >= places + queue_)
      throw HttpError(503, "all " + std::to_string(places) + " batch places are taken and " +
                               std::to_string(now.waiting) + " requests wait already (--queue " +
                               std::to_string(queue_) + "); try again later");
    const auto load = [](const std::unique_ptr<Loop>& loop) {
      return loop->running + static_cast<int>(loop->waiting.size());
    };
    target = std::min_element(loops_.begin(), loops_.end(), [&](const auto& a, const auto& b) {
               return load(a) < load(b);
             })->get();
    target->waiting.push_back({std::move(session), std::move(on_end)});
  }
  target->wake.notify_one();
}

void DecodeScheduler::run(std::shared_ptr<DecodeSession> session, bool admit_always) {
  auto ended = std::make_shared<std::promise<void>>();
  std::future<void> result = ended->get_future();
  submit(
      std::move(session),
      [ended](std::exception_ptr error) {
        if (error)
          ended->set_exception(error);
        else
          ended->set_value();
      },
      admit_always);
  result.get();
}

void DecodeScheduler::close() {
  std::deque<Entry> refused;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& loop : loops_) {
      std::move(loop->waiting.begin(), loop->waiting.end(), std::back_inserter(refused));
      loop->waiting.clear();
    }
  }
  for (auto& loop : loops_) loop->wake.notify_one();
  for (Entry& entry : refused) entry.on_end(std::make_exception_ptr(shutting_down()));
}

DecodeScheduler::Load DecodeScheduler::load() const {
  std::lock_guard lock(mutex_);
  return load_locked();
}

DecodeScheduler::Load DecodeScheduler::load_locked() const {
  Load load{static_cast<int>(loops_.size()), max_batch_, 0, 0, queue_, widest_};
  for (const auto& loop : loops_) {
    load.running += loop->running;
    load.waiting += static_cast<int>(loop->waiting.size());
  }
  return load;
}

// Joins the loop's waiting sessions while its batch has room; one that ends at once (or throws)
// is done.
void DecodeScheduler::admit_waiting(Loop& loop, DecodeBatch& batch, std::vector<Entry>& running) {
  while (!batch.full()) {
    Entry entry;
    {
      std::lock_guard lock(mutex_);
      if (loop.waiting.empty()) return;
      entry = std::move(loop.waiting.front());
      loop.waiting.pop_front();
      ++loop.running;
    }
    std::exception_ptr error;
    bool joined = false;
    try {
      joined = batch.join(*entry.session);
    } catch (...) {
      error = std::current_exception();
    }
    if (joined) {
      running.push_back(std::move(entry));
      std::lock_guard lock(mutex_);
      widest_ = std::max(widest_, static_cast<int>(batch.size()));
      continue;
    }
    entry.on_end(error);
    std::lock_guard lock(mutex_);
    --loop.running;
  }
}

void DecodeScheduler::run_loop(Loop& loop) {
  if (threads_ > 0) set_num_threads(threads_);
  DecodeBatch batch(*loop.model, max_batch_);
  std::vector<Entry> running;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      loop.wake.wait(lock, [&] { return closed_ || !loop.waiting.empty() || !running.empty(); });
      if (closed_ && running.empty()) return;
    }
    admit_waiting(loop, batch, running);
    std::vector<EndedSession> ended;
    try {
      ended = batch.step();
    } catch (...) {
      // The step's product failed: the step is lost for every session in it. (A session whose
      // own draw fails, a NaN logit of its row, ends alone, with its error.)
      const std::exception_ptr error = std::current_exception();
      for (const Entry& entry : running) batch.leave(*entry.session);
      for (const Entry& entry : running) ended.push_back({entry.session.get(), error});
    }
    for (const EndedSession& end : ended) {
      const auto it = std::find_if(running.begin(), running.end(),
                                   [&](const Entry& e) { return e.session.get() == end.session; });
      it->on_end(end.error);
      running.erase(it);
      std::lock_guard lock(mutex_);
      --loop.running;
    }
  }
}

}  // namespace rnnkit::serve
