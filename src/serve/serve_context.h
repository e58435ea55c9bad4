#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "rnnkit/forecast_training.h"
#include "rnnkit/text_generator.h"
#include "rnnkit/vocab.h"
#include "serve/decode_scheduler.h"
#include "serve/model_pool.h"
#include "serve/serve_options.h"

namespace rnnkit::serve {

// The forecaster of POST /v1/forecast. Its buffers are its own, so one request at a time uses it
// (a forecast of a small model takes a fraction of a millisecond); `inputs` holds that request's
// history while it runs.
struct ServedForecaster {
  explicit ServedForecaster(const std::string& path) : inputs{load_forecaster(path), {}, {}} {}
  ForecastInputs inputs;
  std::mutex busy;
};

// What every request handler shares: the read-only vocabulary and options, the model copies,
// and the flag that ends running generations when the server stops.
struct ServeContext {
  const Vocab& vocab;
  ModelPool& pool;
  const ServeOptions& options;
  nlohmann::json model_info;                               // the body of GET /v1/model
  std::unique_ptr<ServedForecaster> forecaster = nullptr;  // null without --forecast-model
  std::atomic<bool> stopping = false;
  // The decode loop of sampling requests; null with --max-batch 1 (each decodes on a worker).
  DecodeScheduler* scheduler = nullptr;

  // A model copy for this request, with the thread count pinned on this connection's thread
  // (OpenMP keeps one per thread). HttpError 503 when the workers and the queue are full.
  ModelPool::Lease lease_worker();

  // True while the server runs and the calling connection's client waits for the answer. Called
  // on the connection's thread; the predicate may then run on any (a decode loop's).
  std::function<bool()> answer_wanted();
  // answer_wanted as the listener of a generation answered whole (not streamed).
  PieceCallback while_answer_wanted();
};

}  // namespace rnnkit::serve
