#include "serve/connection_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

namespace rnnkit::serve {
namespace {

// How often a waiting connection looks whether the server is stopping.
constexpr std::chrono::milliseconds kStopPollInterval{200};

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

// Whether `line` is the header `name` (case-insensitive).
bool is_header(std::string_view line, std::string_view name) {
  return line.size() > name.size() && line[name.size()] == ':' &&
         strncasecmp(line.data(), name.data(), name.size()) == 0;
}

// Removes from `head` the headers whose effect the server does not want from httplib:
// - Range, but on the page (GET /) where it asks for one short range ("bytes=A-B"): an API
//   answer cut to a range is no JSON (and a range past its end threw away a computed answer),
//   and several ranges would be served as a response each;
// - Content-Type: rnnkit reads every body as JSON whatever it is called (`curl -d` calls it a
//   form), while httplib parses a form body itself, refusing one over 8192 bytes whatever
//   --max-body says, and a multipart one as parts.
void drop_unwanted_headers(std::string& head) {
  constexpr size_t kMaxRangeValue = 64;
  const bool page = head.starts_with("GET / ");
  size_t line_start = head.find('\n') + 1;  // past the request line
  while (line_start < head.size()) {
    const size_t line_end = head.find('\n', line_start) + 1;
    const std::string_view line(head.data() + line_start, line_end - line_start);
    const bool unwanted_range =
        is_header(line, "range") &&
        (!page || line.size() - 5 > kMaxRangeValue || line.find(',') != line.npos);
    if (unwanted_range || is_header(line, "content-type")) {
      head.erase(line_start, line_end - line_start);
    } else {
      line_start = line_end;
    }
  }
}

}  // namespace

ConnectionStream::ConnectionStream(int socket, const ConnectionLimits& limits,
                                   const std::atomic<bool>& stopping)
    : socket_(socket), limits_(limits), stopping_(stopping) {}

bool ConnectionStream::wait_for(short events, Clock::time_point deadline) const {
  for (;;) {
    if (stopping_ && events == POLLIN) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd entry{socket_, events, 0};
    const int ready = poll(&entry, 1, static_cast<int>(std::min(left, kStopPollInterval).count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

bool ConnectionStream::wait_for_request() {
  return begin_ < end_ || wait_for(POLLIN, Clock::now() + limits_.idle_timeout);
}

void ConnectionStream::begin_request() {
  deadline_ = Clock::now() + limits_.request_timeout;
  head_.clear();
  head_offset_ = body_bytes_ = written_ = 0;
  head_gathered_ = false;
}

bool ConnectionStream::fill() {
  if (!wait_for(POLLIN, deadline_)) {
    if (!stopping_) refusal_ = Refusal::timeout;
    return false;
  }
  ssize_t received = 0;
  do {
    received = recv(socket_, buffer_.data(), buffer_.size(), 0);
  } while (received < 0 && errno == EINTR);
  if (received <= 0) return false;
  begin_ = 0;
  end_ = static_cast<size_t>(received);
  return true;
}

bool ConnectionStream::gather_head() {
  // The head ends after its first empty line ("\r\n" or "\n") that follows the request line.
  size_t line_start = 0;
  for (;;) {
    if (begin_ == end_ && !fill()) return false;
    if (head_.size() == limits_.max_head_bytes) {
      refusal_ = Refusal::head_too_large;
      return false;
    }
    const char byte = buffer_[begin_++];
    head_ += byte;
    if (byte != '\n') continue;
    const std::string_view line(head_.data() + line_start, head_.size() - line_start);
    if (line_start > 0 && (line == "\n" || line == "\r\n")) break;
    line_start = head_.size();
  }
  drop_unwanted_headers(head_);
  return true;
}

size_t ConnectionStream::admit_body(size_t available) {
  const size_t left = max_body_on_wire() - body_bytes_;
  if (left == 0) refusal_ = Refusal::body_too_large;
  const size_t admitted = std::min(available, left);
  body_bytes_ += admitted;
  return admitted;
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (refusal_ != Refusal::none) return -1;
  if (!head_gathered_) {
    if (!gather_head()) return refusal_ == Refusal::none && head_.empty() ? 0 : -1;
    head_gathered_ = true;
  }
  if (head_offset_ < head_.size()) {
    const size_t count = std::min(size, head_.size() - head_offset_);
    std::copy_n(head_.data() + head_offset_, count, ptr);
    head_offset_ += count;
    return static_cast<ssize_t>(count);
  }
  if (begin_ == end_ && !fill()) return refusal_ == Refusal::none ? 0 : -1;
  const size_t count = admit_body(std::min(size, end_ - begin_));
  if (count == 0) return -1;
  std::copy_n(buffer_.data() + begin_, count, ptr);
  begin_ += count;
  return static_cast<ssize_t>(count);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (!wait_for(POLLOUT, Clock::now() + limits_.write_timeout)) return -1;
  ssize_t sent = 0;
  do {
    sent = send(socket_, ptr, size, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent > 0) written_ += static_cast<size_t>(sent);
  return sent;
}

bool ConnectionStream::client_gone() const {
  pollfd entry{socket_, POLLRDHUP, 0};
  return poll(&entry, 1, 0) > 0 && (entry.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

bool ConnectionStream::is_readable() const {
  return begin_ < end_ || wait_for(POLLIN, deadline_);
}

bool ConnectionStream::is_writable() const {
  return wait_for(POLLOUT, Clock::now() + limits_.write_timeout);
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getpeername(socket_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    address_of(address, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    address_of(address, ip, port);
}

}  // namespace rnnkit::serve
