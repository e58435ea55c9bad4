#pragma once
#include <httplib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>

namespace rnnkit::serve {

// What one connection may send and how long it may take (docs/DESIGN.md, "Server limits and
// timeouts").
struct ConnectionLimits {
  size_t max_head_bytes = 16 * 1024;  // request line and headers, terminator included
  size_t max_body = 0;                // bytes of a body's content (--max-body)
  std::chrono::milliseconds request_timeout{10'000};  // the whole request, head and body
  std::chrono::milliseconds idle_timeout{5'000};      // between requests on a kept-alive connection
  std::chrono::milliseconds write_timeout{5'000};     // each write to a client that does not read
};

// Why a connection stopped being read: the server answers with the status that fits.
enum class Refusal { none, head_too_large, body_too_large, timeout };

// The socket of one connection as httplib reads it, with every part of a request bounded: the
// Debian cpp-httplib 0.11.4 buffers a header line, any number of headers and a chunk-size line
// without limit, and waits per read rather than per request, so a client trickling bytes holds
// a thread forever. Here the head (request line and headers, up to the first empty line) and the
// body each have a byte budget, and the request a deadline; past either, read() fails and
// refusal() says why. The head is gathered whole before httplib sees it, so that a Range header
// other than one short range of the page is dropped: httplib parses ranges with a backtracking
// std::regex whose recursion takes about 370 bytes of stack per character (a 6 KB header: 2 MB
// of stack on every thread it reaches), and serves several ranges as one response each; and so
// that Content-Type is dropped (httplib would parse a form or multipart body itself). Budgets count
// the bytes handed to httplib, so pipelined requests are counted against their own.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int socket, const ConnectionLimits& limits, const std::atomic<bool>& stopping);

  // Waits (at most the idle timeout) until the next request's first byte is here; false when the
  // client is gone, idle too long, or the server stops.
  bool wait_for_request();
  // Starts the budgets and the deadline of the next request.
  void begin_request();

  Refusal refusal() const { return refusal_; }
  // Bytes written since begin_request(): zero means no response has started.
  size_t bytes_written() const { return written_; }
  // The response ends the connection: the rest of the request is unread, or its framing is
  // suspect.
  void close_after_response() { close_after_response_ = true; }
  bool closing() const { return close_after_response_ || refusal_ != Refusal::none; }

  // Whether the client has closed (or reset) the connection: a request answered whole stops
  // its work when nobody is left to read the answer. One poll of the socket, from any thread.
  bool client_gone() const;

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return socket_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Waits for `events` on the socket until `deadline`, in slices so that a stopping server is
  // noticed; false on timeout, error or, for reads, stop. Writes go on while the server stops:
  // the last events of a stream and the 503 of a waiting request still reach the client.
  bool wait_for(short events, Clock::time_point deadline) const;
  // Receives into the empty buffer; false on end of stream, error or timeout (then refusal_).
  bool fill();
  // Body bytes on the wire, chunk framing included: framing may at most double a body; past
  // that the body is refused whatever its content.
  size_t max_body_on_wire() const { return 2 * limits_.max_body + 4096; }
  // Reads the head into head_; false (refusal_ set, or end of stream) when it does not arrive
  // whole within its budget and the deadline.
  bool gather_head();
  // How many of the `available` buffered body bytes the budget lets through.
  size_t admit_body(size_t available);

  const int socket_;
  const ConnectionLimits limits_;
  const std::atomic<bool>& stopping_;
  std::array<char, 4096> buffer_{};
  size_t begin_ = 0, end_ = 0;  // the unread bytes of buffer_
  Clock::time_point deadline_{};
  std::string head_;        // the request line and headers, as httplib gets them
  size_t head_offset_ = 0;  // bytes of head_ already handed over
  bool head_gathered_ = false;
  size_t body_bytes_ = 0, written_ = 0;
  Refusal refusal_ = Refusal::none;
  bool close_after_response_ = false;
};

}  // namespace rnnkit::serve
