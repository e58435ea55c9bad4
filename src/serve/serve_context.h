#pragma once
#include <atomic>

#include <nlohmann/json.hpp>

#include "rnnkit/vocab.h"
#include "serve/model_pool.h"
#include "serve/serve_options.h"

namespace rnnkit::serve {

// What every request handler shares: the read-only vocabulary and options, the model copies,
// and the flag that ends running generations when the server stops.
struct ServeContext {
  const Vocab& vocab;
  ModelPool& pool;
  const ServeOptions& options;
  nlohmann::json model_info;  // the body of GET /v1/model
  std::atomic<bool> stopping = false;

  // A model copy for this request, with the thread count pinned on this connection's thread
  // (OpenMP keeps one per thread). HttpError 503 when the workers and the queue are full.
  ModelPool::Lease lease_worker();
};

}  // namespace rnnkit::serve
