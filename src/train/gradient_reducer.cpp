#include "train/gradient_reducer.h"

#include <algorithm>
#include <chrono>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

using Clock = std::chrono::steady_clock;

// Large enough that per-call latency is small against the bytes, small enough that the output
// layer's gradient (the first ready) leaves while the recurrent layers' backward runs.
constexpr size_t kBucketFloats = size_t{1} << 20;  // 4 MiB

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

GradientReducer::GradientReducer(Communicator& world, const ParameterList& params)
    : world_(world), gradients_comm_(world.duplicate()), params_(params.rbegin(), params.rend()) {
  size_t total = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    index_[params_[i]] = i;
    offset_.push_back(total);
    total += static_cast<size_t>(params_[i]->grad.numel());
  }
  offset_.push_back(total);
  buffer_.assign(total, 0.0f);
  reported_.assign(params_.size(), 0);
  for (size_t begin = 0; begin < total; begin += kBucketFloats)
    buckets_.push_back({begin, std::min(total, begin + kBucketFloats), 0});
  start_step();
  thread_ = std::thread([this] { communicate(); });
}

GradientReducer::~GradientReducer() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void GradientReducer::gradients_ready(const ParameterList& params, int64_t count) {
  const float weight = static_cast<float>(count);
  for (const Parameter* p : params) {
    const auto found = index_.find(p);
    if (found == index_.end()) throw Error("gradient of an unknown parameter " + p->name);
    const size_t i = found->second;
    if (reported_[i]) continue;
    reported_[i] = 1;
    float* out = buffer_.data() + offset_[i];
    const float* g = p->grad.data();
    for (int64_t k = 0; k < p->grad.numel(); ++k) out[k] = g[k] * weight;
    for (Bucket& b : buckets_)
      if (b.begin < offset_[i + 1] && offset_[i] < b.end) --b.pending;
  }
  submit_ready_buckets();
}

void GradientReducer::submit_ready_buckets() {
  size_t ready = next_submit_;
  while (ready < buckets_.size() && buckets_[ready].pending == 0) ++ready;
  if (ready == next_submit_) return;
  next_submit_ = ready;
  {
    std::lock_guard lock(mutex_);
    submitted_ = ready;
  }
  changed_.notify_all();
}

void GradientReducer::communicate() {
  for (;;) {
    size_t index = 0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return quit_ || submitted_ > reduced_; });
      if (quit_) return;
      index = reduced_;
    }
    const Bucket& b = buckets_[index];
    const auto start = Clock::now();
    std::exception_ptr failure;
    try {
      gradients_comm_->allreduce_sum(std::span(buffer_.data() + b.begin, b.end - b.begin));
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    if (failure && !failure_) failure_ = failure;
    reducing_seconds_ += seconds_since(start);
    ++reduced_;
    changed_.notify_all();
  }
}

void GradientReducer::start_step() {
  std::fill(reported_.begin(), reported_.end(), 0);
  for (Bucket& b : buckets_) b.pending = 0;
  for (size_t i = 0; i < params_.size(); ++i)
    for (Bucket& b : buckets_)
      if (b.begin < offset_[i + 1] && offset_[i] < b.end) ++b.pending;
  next_submit_ = 0;
}

LossResult GradientReducer::finish(const LossResult& local, bool& stop) {
  ParameterList rest;
  for (size_t i = 0; i < params_.size(); ++i)
    if (!reported_[i]) rest.push_back(params_[i]);
  gradients_ready(rest, local.count);
  // The time the step waits is its own all-reduce of the totals (never hidden) and the wait for
  // the buckets still in flight: no copy or hand-off, so that it is a part of the reducing time
  // (comm_s - comm_wait_s: the part the backward pass hid).
  const auto start = Clock::now();
  double totals[3] = {local.loss_sum, static_cast<double>(local.count), stop ? 1.0 : 0.0};
  world_.allreduce_sum(totals);
  const double totals_seconds = seconds_since(start);
  {
    std::unique_lock lock(mutex_);
    const auto waiting = Clock::now();
    changed_.wait(lock, [&] { return reduced_ == buckets_.size(); });
    if (failure_) std::rethrow_exception(failure_);
    time_ = {reducing_seconds_ + totals_seconds, totals_seconds + seconds_since(waiting)};
    reducing_seconds_ = 0;
    submitted_ = reduced_ = 0;
  }
  const float scale = totals[1] > 0 ? static_cast<float>(1.0 / totals[1]) : 0.0f;
  for (size_t i = 0; i < params_.size(); ++i) {
    float* g = params_[i]->grad.data();
    const float* sum = buffer_.data() + offset_[i];
    for (int64_t k = 0; k < params_[i]->grad.numel(); ++k) g[k] = sum[k] * scale;
  }
  start_step();
  stop = totals[2] > 0;
  return {totals[0], static_cast<int64_t>(totals[1])};
}

}  // namespace rnnkit
