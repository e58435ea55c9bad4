#pragma once
#include <httplib.h>

#include <atomic>

#include "serve/connection_stream.h"
#include "serve/http_error.h"

namespace rnnkit::serve {

// httplib's server with each connection read through a ConnectionStream, at most
// `max_connections` of them open (one thread each, so a slow client never holds up another), and
// the request framing checked before a body is read: a request with both Content-Length and
// Transfer-Encoding, or with a transfer coding other than chunked, is refused (request
// smuggling).
// Sets the accept queue of a listening socket to the system's most: Debian's cpp-httplib 0.11 is
// a compiled library that listens with a queue of 5, beyond which a burst of clients waits a
// second for its SYN to be sent again, where the server takes hundreds of connections at once.
// Linux takes listen() again on a listening socket as the new queue length. Error on failure.
void widen_accept_queue(int listening_socket);

class BoundedServer : public httplib::Server {
 public:
  BoundedServer(const ConnectionLimits& limits, int max_connections);

  // Stops accepting, and ends idle and still-arriving connections within a fraction of a second.
  void shut_down();

  // The connection the calling thread serves; nullptr outside a request.
  static ConnectionStream* current_connection();
  // What the client gets for `refusal` (never Refusal::none).
  HttpError refusal_error(Refusal refusal) const;

 private:
  bool process_and_close_socket(int socket) override;
  void serve_connection(int socket);
  // A response written without httplib, for a request it never got to answer.
  static void write_error(int socket, const HttpError& error);

  const ConnectionLimits limits_;
  const int max_connections_;
  std::atomic<int> open_connections_ = 0;
  std::atomic<bool> stopping_ = false;
};

}  // namespace rnnkit::serve
