#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rnnkit/error.h"
#include "serve/bounded_server.h"

namespace rnnkit::serve {
namespace {

// The accept queue of a listening socket, as the kernel reports it (tcpi_sacked in LISTEN state).
unsigned accept_queue(int socket) {
  tcp_info info{};
  socklen_t size = sizeof info;
  EXPECT_EQ(getsockopt(socket, IPPROTO_TCP, TCP_INFO, &info, &size), 0);
  return info.tcpi_sacked;
}

TEST(AcceptQueue, IsWidenedFromHttplibsFive) {
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(socket, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(socket, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(socket, 5), 0);  // what cpp-httplib 0.11 gives
  EXPECT_EQ(accept_queue(socket), 5u);
  widen_accept_queue(socket);
  EXPECT_GE(accept_queue(socket), 128u);
  close(socket);
  EXPECT_THROW(widen_accept_queue(socket), Error);  // closed: no socket to listen on
}

}  // namespace
}  // namespace rnnkit::serve
