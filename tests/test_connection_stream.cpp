#include "serve/connection_stream.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace rnnkit::serve {
namespace {

// One end of a connected socket pair read through a ConnectionStream; the test writes the
// client's bytes into the other end.
class ConnectionStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sockets_), 0); }
  void TearDown() override {
    close(sockets_[0]);
    close(sockets_[1]);
  }

  void send_client(const std::string& bytes) {
    ASSERT_EQ(write(sockets_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  void hang_up_client() { shutdown(sockets_[1], SHUT_WR); }

  ConnectionStream stream(const ConnectionLimits& limits) {
    return ConnectionStream(sockets_[0], limits, stopping_);
  }

  // Reads in pieces of at most `piece` bytes until the stream fails or ends.
  static std::string read_all(ConnectionStream& stream, size_t piece = 7) {
    std::string bytes;
    std::string buffer(piece, '\0');
    for (ssize_t n; (n = stream.read(buffer.data(), piece)) > 0;)
      bytes.append(buffer.data(), static_cast<size_t>(n));
    return bytes;
  }

  // What httplib reads of one request, sent whole by a client that then hangs up.
  std::string read_request(const std::string& bytes, const ConnectionLimits& limits) {
    send_client(bytes);
    hang_up_client();
    ConnectionStream s = stream(limits);
    s.begin_request();
    std::string read = read_all(s);
    EXPECT_EQ(s.refusal(), Refusal::none);
    return read;
  }

  int sockets_[2] = {-1, -1};
  std::atomic<bool> stopping_ = false;
};

ConnectionLimits small_limits() {
  ConnectionLimits limits;
  limits.max_head_bytes = 64;
  limits.max_body = 10;  // on the wire: 2 * 10 + 4096 bytes
  limits.request_timeout = std::chrono::milliseconds(2000);
  return limits;
}

TEST_F(ConnectionStreamTest, PassesARequestWithinItsBudgetsUnchanged) {
  const std::string request = "POST / HTTP/1.1\r\nHost: a\r\n\r\n{\"text\": \"abc\"}";
  EXPECT_EQ(read_request(request, small_limits()), request);
}

TEST_F(ConnectionStreamTest, RefusesAHeadOverItsBudget) {
  send_client("GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n");
  ConnectionStream s = stream(small_limits());
  s.begin_request();
  char byte = 0;
  EXPECT_EQ(s.read(&byte, 1), -1);  // nothing of a head that is too large reaches httplib
  EXPECT_EQ(s.refusal(), Refusal::head_too_large);
  EXPECT_TRUE(s.closing());
}

TEST_F(ConnectionStreamTest, AHeadOfExactlyTheBudgetPasses) {
  std::string head = "GET / HTTP/1.1\r\nX: ";
  head += std::string(small_limits().max_head_bytes - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), small_limits().max_head_bytes);
  EXPECT_EQ(read_request(head, small_limits()), head);
}

TEST_F(ConnectionStreamTest, CutsTheBodyAtTwiceMaxBodyPlusFraming) {
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  send_client(head + std::string(5000, 'x'));
  ConnectionStream s = stream(small_limits());
  s.begin_request();
  const std::string read = read_all(s, 1000);
  EXPECT_EQ(read.size(), head.size() + 2 * 10 + 4096);
  EXPECT_EQ(s.refusal(), Refusal::body_too_large);
}

TEST_F(ConnectionStreamTest, RefusesARequestThatDoesNotArriveInTime) {
  send_client("GET / HTTP/1.1\r\nHost:");
  ConnectionLimits limits = small_limits();
  limits.request_timeout = std::chrono::milliseconds(100);
  ConnectionStream s = stream(limits);
  s.begin_request();
  char buffer[64];
  EXPECT_EQ(s.read(buffer, sizeof buffer), -1);
  EXPECT_EQ(s.refusal(), Refusal::timeout);
}

TEST_F(ConnectionStreamTest, AClientThatHangsUpBeforeARequestIsTheEndNotARefusal) {
  hang_up_client();
  ConnectionStream s = stream(small_limits());
  s.begin_request();
  char byte = 0;
  EXPECT_EQ(s.read(&byte, 1), 0);
  EXPECT_EQ(s.refusal(), Refusal::none);
}

TEST_F(ConnectionStreamTest, DropsARangeHeaderOfSeveralOrLongRanges) {
  ConnectionLimits limits = small_limits();
  limits.max_head_bytes = 1024;
  const std::string kept = "GET / HTTP/1.1\r\nHost: a\r\n";
  const std::string ranges =
      "Range: bytes=0-1,2-3\r\nrange: bytes=" + std::string(100, '0') + "-\r\n";
  EXPECT_EQ(read_request(kept + ranges + "\r\n", limits), kept + "\r\n");
}

TEST_F(ConnectionStreamTest, KeepsOneShortRange) {
  ConnectionLimits limits = small_limits();
  limits.max_head_bytes = 1024;
  const std::string head = "GET / HTTP/1.1\r\nRange: bytes=0-99\r\nX-Range: 1,2\r\n\r\n";
  EXPECT_EQ(read_request(head, limits), head);
}

TEST_F(ConnectionStreamTest, CountsPipelinedRequestsAgainstTheirOwnBudgets) {
  // Each head is 39 bytes, both together over the 64-byte budget.
  const std::string head = "GET /a HTTP/1.1\r\nX-Pad: 12345678901\r\n\r\n";
  ASSERT_EQ(head.size(), 39u);
  send_client(head + head);
  ConnectionStream s = stream(small_limits());
  for (int request = 0; request < 2; ++request) {
    s.begin_request();
    std::string buffer(head.size(), '\0');
    ASSERT_EQ(s.read(buffer.data(), buffer.size()), static_cast<ssize_t>(head.size()));
    EXPECT_EQ(buffer, head);
    EXPECT_EQ(s.refusal(), Refusal::none);
  }
}

}  // namespace
}  // namespace rnnkit::serve
