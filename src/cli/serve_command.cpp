#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/generation_options.h"
#include "cli/option_flags.h"
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
  a.options.threads = a.model.runtime.threads;
  a.model.runtime.threads = 0;
  LoadedLanguageModel loaded = load_model(a.model);
  serve::serve(loaded, a.options, [&](int port) {
    std::printf("rnnkit serve: listening on http://%s:%d (%d workers, queue %d)\n",
                a.options.host.c_str(), port, a.options.workers, a.options.queue);
    std::fflush(stdout);
  });
  std::printf("rnnkit serve: stopped\n");
}

void setup_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  serve::ServeOptions& o = a->options;
  add_model_flags(app, a->model);
  a->model.runtime.threads = o.threads;
  app.get_option("--threads")
      ->description("compute threads of each generation (0 = all cores)")
      ->capture_default_str();
  add_option_table(app, o, serve::ServeOptions::table());
  add_option_table(app, o.limits, serve::ServeLimits::table());
  app.callback([a] { run_serve(*a); });
}

const Registration registration(
    {"serve", "Serve a model over HTTP: JSON API, event streams and a poem web page", setup_serve});

}  // namespace
}  // namespace rnnkit::cli
