#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "rnnkit/option_table.h"

namespace rnnkit::serve {

// What one request may ask for; docs/API.md lists these defaults.
struct ServeLimits {
  size_t max_body = 64 * 1024;  // bytes of a request body
  int64_t max_tokens = 1000;    // "n" of /v1/generate; -1 (until the end token) stops here too
  int max_count = 10;           // "count" of /v1/poem
  int64_t max_prompt = 2000;    // characters of a prompt, start line, acrostic or style text
  static const OptionTable<ServeLimits>& table();
};

struct ServeOptions {
  std::string host = "127.0.0.1";  // loopback: serving beyond the machine is a deliberate choice
  int port = 8080;                 // 0: any free port (the one chosen is printed)
  int workers = 2;                 // generations running at once, each with its own model copy
  int queue = 16;                  // requests waiting for a worker before 503
  int max_batch = 8;               // sampling requests decoded together per step (1: each alone)
  int threads = 1;                 // compute threads of each generation (0 = all cores)
  int max_connections = 256;       // connections open at once, one thread each; beyond: 503
  int request_timeout = 10;        // seconds for a request's head and body to arrive; beyond: 408
  std::string forecast_model;      // forecaster of POST /v1/forecast ("" = none: that answers 404)
  ServeLimits limits;
  // The options above but `threads` (the model flags' --threads) and `limits` (their own table).
  static const OptionTable<ServeOptions>& table();
};

// Error naming the first option out of its declared range.
void validate(const ServeOptions& options);

}  // namespace rnnkit::serve
