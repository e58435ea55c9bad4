#include "serve/decode_scheduler.h"

#include <algorithm>
#include <future>
#include <string>

#include "rnnkit/gemm.h"
#include "serve/http_error.h"
#include "serve/model_pool.h"

namespace rnnkit::serve {

DecodeScheduler::DecodeScheduler(LanguageModel& prototype, int max_batch, int queue, int threads)
    : model_(copy_model(prototype)), max_batch_(max_batch), queue_(queue), threads_(threads) {
  DecodeBatch check(*model_, max_batch);  // Error for a size out of range
  thread_ = std::thread([this] { loop(); });
}

DecodeScheduler::~DecodeScheduler() {
  close();
  thread_.join();
}

void DecodeScheduler::submit(std::shared_ptr<DecodeSession> session, OnEnd on_end,
                             bool admit_always) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) throw HttpError(503, "the server is shutting down");
    const int waiting = static_cast<int>(waiting_.size());
    if (!admit_always && running_ + waiting >= max_batch_ + queue_)
      throw HttpError(503, "all " + std::to_string(max_batch_) + " batch places are taken and " +
                               std::to_string(waiting) + " requests wait already (--queue " +
                               std::to_string(queue_) + "); try again later");
    waiting_.push_back({std::move(session), std::move(on_end)});
  }
  wake_.notify_one();
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
    refused.swap(waiting_);
  }
  wake_.notify_one();
  for (Entry& entry : refused)
    entry.on_end(std::make_exception_ptr(HttpError(503, "the server is shutting down")));
}

DecodeScheduler::Load DecodeScheduler::load() const {
  std::lock_guard lock(mutex_);
  return {max_batch_, running_, static_cast<int>(waiting_.size()), queue_, widest_};
}

// Joins waiting sessions while the batch has room; one that ends at once (or throws) is done.
void DecodeScheduler::admit_waiting(DecodeBatch& batch, std::vector<Entry>& running) {
  while (!batch.full()) {
    Entry entry;
    {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) return;
      entry = std::move(waiting_.front());
      waiting_.pop_front();
      ++running_;
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
    --running_;
  }
}

void DecodeScheduler::loop() {
  if (threads_ > 0) set_num_threads(threads_);
  DecodeBatch batch(*model_, max_batch_);
  std::vector<Entry> running;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return closed_ || !waiting_.empty() || !running.empty(); });
      if (closed_ && running.empty()) return;
    }
    admit_waiting(batch, running);
    std::vector<DecodeSession*> ended;
    std::exception_ptr error;
    try {
      ended = batch.step();
    } catch (...) {
      // A session's sampling threw (a NaN logit): the step is lost for every session in it.
      error = std::current_exception();
      for (const Entry& entry : running) batch.leave(*entry.session);
      for (const Entry& entry : running) ended.push_back(entry.session.get());
    }
    for (DecodeSession* session : ended) {
      const auto it = std::find_if(running.begin(), running.end(),
                                   [&](const Entry& e) { return e.session.get() == session; });
      it->on_end(error);
      running.erase(it);
      std::lock_guard lock(mutex_);
      --running_;
    }
  }
}

}  // namespace rnnkit::serve
