#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/generation_options.h"
#include "serve/server.h"

namespace rnnkit::cli {
namespace {

struct ServeArgs {
  ModelFlags model;
  serve::ServeOptions options;
};

void run_serve(ServeArgs& a) {
  // The server pins the thread count on each worker's own thread (OpenMP keeps one per thread);
  // loading needs no pinning.
  a.options.threads = a.model.threads;
  a.model.threads = 0;
  LoadedLanguageModel loaded = load_model(a.model);
  serve::serve(loaded, a.options, [&](int port) {
    std::printf("rnnkit serve: listening on http://%s:%d (%d workers, queue %d)\n",
                a.options.host.c_str(), port, a.options.workers, a.options.queue);
    std::fflush(stdout);
  });
  std::printf("rnnkit serve: stopped\n");
}

// An option of the "Limits" group, its default shown in --help.
template <typename T>
void add_limit(CLI::App& app, const std::string& name, T& value, const std::string& description) {
  app.add_option(name, value, description)->capture_default_str()->group("Limits");
}

void setup_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  serve::ServeOptions& o = a->options;
  serve::ServeLimits& limits = o.limits;
  add_model_flags(app, a->model);
  a->model.threads = o.threads;
  app.get_option("--threads")
      ->description("compute threads of each generation (0 = all cores)")
      ->capture_default_str();
  app.add_option("--host", o.host, "address to listen on (loopback by default)")
      ->capture_default_str();
  app.add_option("--port", o.port, "port to listen on (0: any free port, printed)")
      ->capture_default_str();
  app.add_option("--workers", o.workers, "generations at once, each with its own model copy")
      ->capture_default_str();
  app.add_option("--queue", o.queue, "requests that may wait for a worker; beyond them 503")
      ->capture_default_str();
  add_limit(app, "--max-connections", o.max_connections,
            "connections open at once, one thread each (beyond: 503)");
  add_limit(app, "--request-timeout", o.request_timeout,
            "seconds a request's line, headers and body may take to arrive (beyond: 408)");
  add_limit(app, "--max-body", limits.max_body, "largest request body, bytes (beyond: 413)");
  add_limit(app, "--max-tokens", limits.max_tokens, "largest n of /v1/generate");
  add_limit(app, "--max-count", limits.max_count, "most poems one /v1/poem request may ask for");
  add_limit(app, "--max-prompt", limits.max_prompt,
            "longest prompt, start line, acrostic or style text, characters");
  app.callback([a] { run_serve(*a); });
}

const Registration registration(
    {"serve", "Serve a model over HTTP: JSON API, event streams and a poem web page", setup_serve});

}  // namespace
}  // namespace rnnkit::cli
