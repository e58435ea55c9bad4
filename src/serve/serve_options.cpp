// The server's options and limits, declared once: --help, validation and /v1/model read them.
#include "serve/serve_options.h"

#include "rnnkit/error.h"
#include "rnnkit/single_row_product.h"
#include "rnnkit/text_generator.h"
#include "rnnkit/threads.h"

namespace rnnkit::serve {

const OptionTable<ServeLimits>& ServeLimits::table() {
  using O = ServeLimits;
  static const OptionTable<O> t = {
      {"--max-body", "max_body", &O::max_body, "largest request body, bytes (beyond: 413)",
       between(1, 1 << 30), "Limits"},
      {"--max-tokens", "max_tokens", &O::max_tokens, "largest n of /v1/generate",
       between(1, kMaxGeneratedTokens), "Limits"},
      {"--max-count", "max_count", &O::max_count, "most poems one /v1/poem request may ask for",
       between(1, 1000), "Limits"},
      {"--max-prompt", "max_prompt", &O::max_prompt,
       "longest prompt, start line, acrostic or style text, characters", between(1, 1'000'000),
       "Limits"},
  };
  return t;
}

const OptionTable<ServeOptions>& ServeOptions::table() {
  using O = ServeOptions;
  static const OptionTable<O> t = {
      {"--host", "host", &O::host, "address to listen on (loopback by default)"},
      {"--port", "port", &O::port, "port to listen on (0: any free port, printed)",
       between(0, 65535)},
      {"--workers", "workers", &O::workers,
       "generations at once, each with its own model copy (with --max-batch > 1: decode loops, "
       "each batching up to --max-batch requests)",
       between(1, 256)},
      {"--queue", "queue", &O::queue, "requests that may wait for a worker; beyond them 503",
       between(0, 4096)},
      {"--max-batch", "max_batch", &O::max_batch,
       "sampling requests (/v1/generate without beam, /v1/poem) decoded together in one decode "
       "loop, one batched step for all (1: each decodes alone on a worker)",
       between(1, static_cast<int>(kMaxStepRows))},
      {"--max-connections", "max_connections", &O::max_connections,
       "connections open at once, one thread each (beyond: 503)", between(1, 1024), "Limits"},
      {"--request-timeout", "request_timeout", &O::request_timeout,
       "seconds a request's line, headers and body may take to arrive (beyond: 408)",
       between(1, 3600), "Limits"},
      {"--forecast-model", "forecast_model", &O::forecast_model,
       "forecaster (file or run directory) served by POST /v1/forecast"},
  };
  return t;
}

void validate(const ServeOptions& options) {
  validate_options(options, ServeOptions::table());
  validate_options(options.limits, ServeLimits::table());
  // --threads is the model flags' (RuntimeOptions), read into these options by the command.
  if (const std::string message =
          option_error("--threads", between(0, kMaxThreads), static_cast<double>(options.threads));
      !message.empty())
    throw_option_error(message);
}

}  // namespace rnnkit::serve
