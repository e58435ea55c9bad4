#include "serve/bounded_server.h"

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "rnnkit/error.h"
#include "rnnkit/formatted.h"

namespace rnnkit::serve {
namespace {

// Requests one connection may carry before the server closes it, so that no client keeps a
// connection thread forever.
constexpr int kMaxRequestsPerConnection = 100;
// After refusing a request whose rest is unread, the server reads and drops what the client is
// still sending, at most this much and this long, so that the client reads the refusal rather
// than a reset connection.
constexpr size_t kLingerBytes = size_t{64} << 20;
constexpr std::chrono::milliseconds kLingerTime{3000};

thread_local ConnectionStream* current = nullptr;

// Framing two parsers may read differently, and a body declared too large, are refused before
// any body is read.
std::optional<HttpError> framing_error(const httplib::Request& request, size_t max_body) {
  const size_t lengths = request.get_header_value_count("Content-Length");
  const size_t codings = request.get_header_value_count("Transfer-Encoding");
  if (lengths > 0 && codings > 0)
    return HttpError(400, "both Content-Length and Transfer-Encoding are set; send one");
  if (lengths > 1) return HttpError(400, "Content-Length is set more than once");
  if (lengths == 1) {
    const std::string length = request.get_header_value("Content-Length");
    if (length.empty() ||
        !std::all_of(length.begin(), length.end(), [](unsigned char c) { return std::isdigit(c); }))
      return HttpError(400, "Content-Length must be a decimal number, got \"" + length + "\"");
    if (length.size() > 18 || std::stoull(length) > max_body)
      return HttpError(413, "the request body is too large (--max-body)");
  }
  if (codings > 1 ||
      (codings == 1 &&
       strcasecmp(request.get_header_value("Transfer-Encoding").c_str(), "chunked") != 0))
    return HttpError(400, "the only Transfer-Encoding accepted is \"chunked\"");
  const bool needs_body =
      request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  const bool takes_body = needs_body || request.method == "DELETE";
  // httplib would read such a body until the client closes, so the client would wait for the
  // request timeout: it is told at once what is missing.
  if (lengths == 0 && codings == 0 && needs_body)
    return HttpError(411, "a " + request.method +
                              " request needs a Content-Length (or Transfer-Encoding: chunked)");
  // httplib leaves the body of other methods unread, to be parsed as the next request on the
  // connection (one request in, two answers out behind a proxy): refused, and the connection
  // closed.
  if (!takes_body &&
      (codings > 0 ||
       (lengths == 1 &&
        request.get_header_value("Content-Length").find_first_not_of('0') != std::string::npos)))
    return HttpError(400, "a " + request.method + " request must not have a body");
  return std::nullopt;
}

// The statuses the server writes itself, without httplib.
const char* reason_phrase(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

void drain(int socket) {
  const auto deadline = std::chrono::steady_clock::now() + kLingerTime;
  timeval slice{0, 100'000};
  setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
  char sink[4096];
  for (size_t drained = 0; drained < kLingerBytes && std::chrono::steady_clock::now() < deadline;) {
    const ssize_t n = recv(socket, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
    if (n > 0) drained += static_cast<size_t>(n);
  }
}

}  // namespace

void widen_accept_queue(int listening_socket) {
  if (::listen(listening_socket, SOMAXCONN) != 0)
    throw Error(std::string("cannot lengthen the accept queue: ") + std::strerror(errno));
}

BoundedServer::BoundedServer(const ConnectionLimits& limits, int max_connections)
    : limits_(limits), max_connections_(max_connections) {
  // Sets `response` to the refusal of a request whose framing is refused; false when none is.
  const auto refuse_framing = [this](const httplib::Request& request, httplib::Response& response) {
    const std::optional<HttpError> error = framing_error(request, limits_.max_body);
    if (!error) return false;
    current->close_after_response();
    set_error(response, *error);
    return true;
  };
  // A client that asks before sending its body (Expect: 100-continue) gets its refusal instead
  // of the go-ahead, and sends nothing.
  set_expect_100_continue_handler(
      [refuse_framing](const httplib::Request& request, httplib::Response& response) {
        return refuse_framing(request, response) ? response.status : 100;
      });
  set_pre_routing_handler(
      [refuse_framing](const httplib::Request& request, httplib::Response& response) {
        return refuse_framing(request, response) ? HandlerResponse::Handled
                                                 : HandlerResponse::Unhandled;
      });
  // httplib decides on keep-alive before it knows that a limit ends the connection.
  set_post_routing_handler([](const httplib::Request&, httplib::Response& response) {
    if (!current || !current->closing()) return;
    response.headers.erase("Keep-Alive");
    response.headers.erase("Connection");
    response.set_header("Connection", "close");
  });
  set_keep_alive_max_count(kMaxRequestsPerConnection);
  set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(limits.idle_timeout).count());
}

void BoundedServer::shut_down() {
  stopping_ = true;
  stop();
}

ConnectionStream* BoundedServer::current_connection() {
  return current;
}

HttpError BoundedServer::refusal_error(Refusal refusal) const {
  switch (refusal) {
    case Refusal::head_too_large:
      return HttpError(431, "the request line and headers exceed " +
                                std::to_string(limits_.max_head_bytes) + " bytes");
    case Refusal::body_too_large:
      return HttpError(413, "the request body is too large (--max-body)");
    case Refusal::timeout:
      return HttpError(408, "the request did not arrive within " +
                                std::to_string(limits_.request_timeout.count() / 1000) +
                                " s (--request-timeout)");
    case Refusal::none:
      break;
  }
  return HttpError(500, "no refusal");
}

bool BoundedServer::process_and_close_socket(int socket) {
  // The thread pool has spare threads beyond max_connections_, so a connection over the limit is
  // refused at once instead of waiting behind the open ones.
  if (open_connections_.fetch_add(1) >= max_connections_) {
    write_error(socket,
                HttpError(503, counted(max_connections_, "connection is", "connections are") +
                                   " open already (--max-connections); try again later"));
  } else {
    serve_connection(socket);
  }
  --open_connections_;
  shutdown(socket, SHUT_RDWR);
  close(socket);
  return true;
}

void BoundedServer::serve_connection(int socket) {
  ConnectionStream stream(socket, limits_, stopping_);
  current = &stream;
  for (int served = 0; served < kMaxRequestsPerConnection && stream.wait_for_request(); ++served) {
    stream.begin_request();
    bool client_closes = false;
    const bool last = served + 1 == kMaxRequestsPerConnection;
    const bool answered = process_request(stream, last, client_closes, nullptr);
    // httplib writes nothing when the request line itself did not arrive whole.
    if (stream.refusal() != Refusal::none && stream.bytes_written() == 0)
      write_error(socket, refusal_error(stream.refusal()));
    if (!answered || client_closes || stream.closing()) break;
  }
  current = nullptr;
  if (stream.closing()) {
    shutdown(socket, SHUT_WR);
    drain(socket);
  }
}

void BoundedServer::write_error(int socket, const HttpError& error) {
  const std::string body = nlohmann::json{{"error", error.what()}}.dump() + "\n";
  const std::string response =
      "HTTP/1.1 " + std::to_string(error.status()) + " " + reason_phrase(error.status()) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  // A client that does not read gets nothing; the connection closes either way.
  [[maybe_unused]] const ssize_t sent =
      send(socket, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace rnnkit::serve
