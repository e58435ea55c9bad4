#include "serve/server.h"

#include <httplib.h>

#include <new>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/threads.h"
#include "serve/endpoints.h"
#include "serve/http_error.h"
#include "serve/stop_signals.h"
#include "serve/web_page.h"

namespace rnnkit::serve {
namespace {

// Connection threads beyond the admitted requests, so /health and the page still answer, and a
// request beyond the queue gets its 503 at once, while every worker is busy.
constexpr int kSpareConnectionThreads = 4;

void validate(const ServeOptions& options) {
  if (options.port < 0 || options.port > 65535)
    throw Error("--port must be 0..65535, got " + std::to_string(options.port));
  if (options.threads < 0 || options.threads > kMaxThreads)
    throw Error("--threads must be 0.." + std::to_string(kMaxThreads) + ", got " +
                std::to_string(options.threads));
  const ServeLimits& limits = options.limits;
  if (limits.max_body < 1) throw Error("--max-body must be at least 1 byte");
  if (limits.max_tokens < 1) throw Error("--max-tokens must be at least 1");
  if (limits.max_count < 1) throw Error("--max-count must be at least 1");
  if (limits.max_prompt < 1) throw Error("--max-prompt must be at least 1");
}

using Handler = void (*)(ServeContext&, const httplib::Request&, httplib::Response&);

// Every refusal becomes a JSON error; nothing a client sends can end the process.
httplib::Server::Handler guarded(ServeContext& context, Handler handler) {
  return [&context, handler](const httplib::Request& request, httplib::Response& response) {
    try {
      handler(context, request, response);
    } catch (const HttpError& e) {
      set_error(response, e);
    } catch (const Error& e) {
      set_error(response, http_error(e));
    } catch (const std::bad_alloc&) {
      set_error(response, 503, "out of memory");
    } catch (const std::exception& e) {
      set_error(response, 500, e.what());
    }
  };
}

// httplib's own refusals (404, 413, 400 for a broken request line) get a JSON body too; a body a
// handler has set is kept.
void add_error_bodies(httplib::Server& server) {
  server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty()) return;
    switch (response.status) {
      case 404:
        set_error(response, 404, "no endpoint " + request.method + " " + request.path);
        break;
      case 413:
        set_error(response, 413, "the request body is too large (--max-body)");
        break;
      default:
        set_error(response, response.status, "the request could not be processed");
    }
  });
}

}  // namespace

void serve(LoadedLanguageModel& loaded, const ServeOptions& options,
           const std::function<void(int port)>& on_listening) {
  validate(options);
  ModelPool pool(*loaded.model, options.workers, options.queue);
  ServeContext context{*loaded.vocab, pool, options,
                       describe_model(*loaded.model, *loaded.vocab, loaded.path, options)};

  httplib::Server server;
  const int connection_threads = options.workers + options.queue + kSpareConnectionThreads;
  server.new_task_queue = [connection_threads] {
    return new httplib::ThreadPool(static_cast<size_t>(connection_threads));
  };
  server.set_payload_max_length(options.limits.max_body);
  // Without it Nagle's algorithm holds each small write (a response's body after its headers, an
  // event of a stream) until the client's delayed ACK: 40 ms per request.
  server.set_tcp_nodelay(true);
  add_error_bodies(server);
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(index_html().data(), index_html().size(), "text/html; charset=utf-8");
  });
  server.Get("/health", guarded(context, handle_health));
  server.Get("/v1/model", guarded(context, handle_model));
  server.Post("/v1/generate", guarded(context, handle_generate));
  server.Post("/v1/poem", guarded(context, handle_poem));
  server.Post("/v1/perplexity", guarded(context, handle_perplexity));

  const StopSignals stop_signals([&] {
    context.stopping = true;
    pool.close();
    server.stop();
  });
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) throw Error("cannot listen on " + options.host + " (any port)");
  } else if (!server.bind_to_port(options.host, port)) {
    throw Error("cannot listen on " + options.host + ":" + std::to_string(port) +
                " (in use, or not an address of this machine)");
  }
  on_listening(port);
  server.listen_after_bind();
}

}  // namespace rnnkit::serve
