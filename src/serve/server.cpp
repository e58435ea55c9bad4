#include "serve/server.h"

#include <sys/socket.h>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "rnnkit/error.h"
#include "rnnkit/threads.h"
#include "serve/bounded_server.h"
#include "serve/endpoints.h"
#include "serve/http_error.h"
#include "serve/routes.h"
#include "serve/stop_signals.h"

namespace rnnkit::serve {
namespace {

// Connection threads beyond --max-connections: they refuse the connections over the limit at
// once, rather than leaving them queued behind the open ones.
constexpr int kSpareConnectionThreads = 4;

ConnectionLimits connection_limits(const ServeOptions& options) {
  ConnectionLimits limits;
  limits.max_body = options.limits.max_body;
  limits.request_timeout = std::chrono::seconds(options.request_timeout);
  return limits;
}

// Every refusal becomes a JSON error; nothing a client sends can end the process.
httplib::Server::Handler guarded(ServeContext& context, Handler handler) {
  return [&context, handler](const httplib::Request& request, httplib::Response& response) {
    try {
      // A chunked body is bounded only on the wire, with room for its framing.
      if (request.body.size() > context.options.limits.max_body)
        throw HttpError(413, "the request body is too large (--max-body)");
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

// httplib's own refusals (404, 413, 400 for a broken request line or body framing) get a JSON
// body too, and a path that has an endpoint for other methods 405 with Allow; a body a handler
// has set is kept. A request cut off by a connection limit gets that limit's status. After any
// of httplib's refusals but 404 the request's end is unknown (a chunk size that is no number, a
// chunk longer than it says): the connection closes after the answer, so that the rest of the
// body is never read as a request of its own (request smuggling).
void add_error_bodies(BoundedServer& server) {
  server.set_error_handler([&server](const httplib::Request& request, httplib::Response& response) {
    ConnectionStream* connection = BoundedServer::current_connection();
    if (connection && connection->refusal() != Refusal::none) {
      response.body.clear();
      set_error(response, server.refusal_error(connection->refusal()));
      return;
    }
    if (!response.body.empty()) return;
    if (connection && response.status != 404) connection->close_after_response();
    switch (response.status) {
      case 404:
        if (const std::string allowed = allowed_methods(request.path); !allowed.empty()) {
          set_error(
              response, 405,
              request.method + " is not allowed on " + request.path + ": it takes " + allowed);
          response.set_header("Allow", allowed);
        } else {
          set_error(response, 404, "no endpoint " + request.method + " " + request.path);
        }
        break;
      case 413:
        set_error(response, 413, "the request body is too large (--max-body)");
        break;
      default:
        set_error(response, response.status,
                  "the request is malformed (its request line, headers or body framing); the "
                  "connection is closed");
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
  std::unique_ptr<DecodeScheduler> scheduler;
  if (options.max_batch > 1) {
    // One decode loop per worker, each with --threads compute threads, as one generation has:
    // loops that share nothing keep every core busy, where one loop with more threads would meet
    // them at each product's barrier (on a loaded machine, measured: 2 threads were 4x slower).
    scheduler = std::make_unique<DecodeScheduler>(*loaded.model, options.workers, options.max_batch,
                                                  options.queue, options.threads);
    context.scheduler = scheduler.get();
  }
  if (!options.forecast_model.empty()) try {
      context.forecaster = std::make_unique<ServedForecaster>(options.forecast_model);
    } catch (const Error& e) {
      throw Error(std::string("--forecast-model: ") + e.what());
    }
  context.model_info["forecaster"] =
      context.forecaster ? describe_forecaster(*context.forecaster, options.forecast_model)
                         : nlohmann::json(nullptr);

  BoundedServer server(connection_limits(options), options.max_connections);
  const int connection_threads = options.max_connections + kSpareConnectionThreads;
  server.new_task_queue = [connection_threads] {
    return new httplib::ThreadPool(static_cast<size_t>(connection_threads));
  };
  // Without it Nagle's algorithm holds each small write (a response's body after its headers, an
  // event of a stream) until the client's delayed ACK: 40 ms per request.
  server.set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT, with which a second server binds a port in use and the
  // kernel shares the connections between the two (each client gets one model or the other at
  // random); SO_REUSEADDR alone still lets a restarted server bind past TIME_WAIT.
  int listening_socket = -1;  // the last socket made is the one bound
  server.set_socket_options([&listening_socket](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listening_socket = socket;
  });
  add_error_bodies(server);
  for (const Route& route : routes()) {
    const std::string path(route.path);
    switch (route.method) {
      case Method::Get:
        server.Get(path, guarded(context, route.handler));
        break;
      case Method::Post:
        server.Post(path, guarded(context, route.handler));
        break;
    }
  }
  server.Options(".*", handle_options);

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) throw Error("cannot listen on " + options.host + " (any port)");
  } else if (!server.bind_to_port(options.host, port)) {
    throw Error("cannot listen on " + options.host + ":" + std::to_string(port) +
                " (in use, or not an address of this machine)");
  }
  widen_accept_queue(listening_socket);
  // Armed once nothing can fail before listen_after_bind(): httplib's stop() does nothing until
  // that has the server running, so a stop waits for it (a signal in between was lost, leaving a
  // server that answered nothing and ignored the next signal).
  const StopSignals stop_signals([&] {
    context.stopping = true;
    pool.close();
    if (context.scheduler) context.scheduler->close();
    // (At most 10 s: a listen that ended on its own before the stop is not waited for ever.)
    for (int ms = 0; ms < 10000 && !server.is_running(); ++ms)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.shut_down();
  });
  on_listening(port);
  server.listen_after_bind();
}

}  // namespace rnnkit::serve
