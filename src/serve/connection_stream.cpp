#include "serve/connection_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

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

}  // namespace

ConnectionStream::ConnectionStream(int socket, const ConnectionLimits& limits,
                                   const std::atomic<bool>& stopping)
    : socket_(socket), limits_(limits), stopping_(stopping) {}

bool ConnectionStream::wait_for(short events, Clock::time_point deadline) const {
  for (;;) {
    if (stopping_) return false;
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
  in_head_ = true;
  line_length_ = lines_ = head_bytes_ = body_bytes_ = written_ = 0;
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

size_t ConnectionStream::admit(size_t available) {
  if (!in_head_) {
    const size_t left = max_body_on_wire() - body_bytes_;
    if (left == 0) refusal_ = Refusal::body_too_large;
    const size_t admitted = std::min(available, left);
    body_bytes_ += admitted;
    return admitted;
  }
  // The head ends after its first empty line ("\r\n" or "\n") that follows the request line;
  // bytes past it are the body's.
  size_t admitted = 0;
  while (admitted < available && in_head_) {
    if (head_bytes_ == limits_.max_head_bytes) {
      refusal_ = Refusal::head_too_large;
      return admitted;
    }
    const char byte = buffer_[begin_ + admitted++];
    ++head_bytes_;
    if (byte == '\n') {
      in_head_ = !(line_length_ == 0 && lines_ > 0);
      ++lines_;
      line_length_ = 0;
    } else if (byte != '\r') {
      ++line_length_;
    }
  }
  return admitted;
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (refusal_ != Refusal::none) return -1;
  if (begin_ == end_ && !fill()) return refusal_ == Refusal::none ? 0 : -1;
  const size_t count = admit(std::min(size, end_ - begin_));
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
