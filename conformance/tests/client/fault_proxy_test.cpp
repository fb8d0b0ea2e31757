// FaultProxy in front of a loopback echo server: forwarding both ways, and each fault seen from the
// client the way a real network failure would look.
#include "conformance/client/fault_proxy.hpp"
#include "conformance/client/socket.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <thread>
#include <vector>

namespace flake::conform {
namespace {

using namespace std::chrono_literals;

// Echoes every byte on every connection until stopped; each connection on its own thread.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~EchoServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c >= 0) workers_.emplace_back([this, c] { echo(c); });
    }
  }
  void echo(int c) {
    char buf[4096];
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      ::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    }
    ::close(c);
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

std::string read_exactly(TcpSocket& s, std::size_t n, std::chrono::milliseconds within) {
  std::string out;
  char buf[4096];
  const Deadline deadline = deadline_in(within);
  while (out.size() < n) {
    const RecvResult r = s.recv_some(buf, std::min(sizeof buf, n - out.size()), deadline);
    if (r.status != IoStatus::Ok) break;
    out.append(buf, r.bytes);
  }
  return out;
}

struct Fixture {
  EchoServer echo;
  std::unique_ptr<FaultProxy> proxy;
  Fixture() {
    std::string error;
    proxy = FaultProxy::start("127.0.0.1", echo.port(), nullptr, error);
    EXPECT_TRUE(proxy) << error;
  }
  TcpSocket connect() {
    TcpSocket s;
    EXPECT_TRUE(s.connect("127.0.0.1", proxy->port(), deadline_in(2s))) << s.error();
    return s;
  }
};

TEST(FaultProxy, ForwardsBothWays) {
  Fixture f;
  TcpSocket s = f.connect();
  const std::string payload(100000, 'x');
  ASSERT_EQ(s.send_all(payload, deadline_in(5s)), IoStatus::Ok);
  EXPECT_EQ(read_exactly(s, payload.size(), 5s), payload);
  // The proxy counts a send after it returns, which can be after the client has read the bytes.
  for (int i = 0; i < 100 && f.proxy->stats().to_client < payload.size(); ++i)
    std::this_thread::sleep_for(10ms);
  const FaultProxyStats st = f.proxy->stats();
  EXPECT_EQ(st.open, 1u);
  EXPECT_EQ(st.to_upstream, payload.size());
  EXPECT_EQ(st.to_client, payload.size());
}

TEST(FaultProxy, CutLooksLikeAnOrderlyClose) {
  Fixture f;
  TcpSocket s = f.connect();
  ASSERT_EQ(s.send_all("ping", deadline_in(2s)), IoStatus::Ok);
  ASSERT_EQ(read_exactly(s, 4, 2s), "ping");
  f.proxy->cut();
  char c;
  EXPECT_EQ(s.recv_some(&c, 1, deadline_in(2s)).status, IoStatus::Eof);
  EXPECT_EQ(f.proxy->stats().open, 0u);
  // The proxy still takes new connections after a cut.
  TcpSocket again = f.connect();
  ASSERT_EQ(again.send_all("pong", deadline_in(2s)), IoStatus::Ok);
  EXPECT_EQ(read_exactly(again, 4, 2s), "pong");
}

TEST(FaultProxy, ResetLooksLikeAConnectionReset) {
  Fixture f;
  TcpSocket s = f.connect();
  ASSERT_EQ(s.send_all("ping", deadline_in(2s)), IoStatus::Ok);
  ASSERT_EQ(read_exactly(s, 4, 2s), "ping");
  f.proxy->reset();
  char c;
  const RecvResult r = s.recv_some(&c, 1, deadline_in(2s));
  EXPECT_EQ(r.status, IoStatus::Error) << r.error;
}

TEST(FaultProxy, StallHoldsBytesUntilLifted) {
  Fixture f;
  TcpSocket s = f.connect();
  ASSERT_EQ(s.send_all("a", deadline_in(2s)), IoStatus::Ok);
  ASSERT_EQ(read_exactly(s, 1, 2s), "a");
  f.proxy->stall(true);
  ASSERT_EQ(s.send_all("held", deadline_in(2s)), IoStatus::Ok);
  char c;
  EXPECT_EQ(s.recv_some(&c, 1, deadline_in(300ms)).status, IoStatus::Timeout);
  f.proxy->stall(false);
  EXPECT_EQ(read_exactly(s, 4, 2s), "held");  // nothing lost
}

TEST(FaultProxy, ThrottleCapsTheRate) {
  Fixture f;
  TcpSocket s = f.connect();
  f.proxy->throttle(2000);
  const std::string payload(20000, 'y');
  ASSERT_EQ(s.send_all(payload, deadline_in(2s)), IoStatus::Ok);
  // A cap can only be overrun by a bug, never by a slow machine: 2,000 B/s for ~0.5 s (plus the
  // tenth-second allowance) is far below the 20,000 bytes sent.
  const std::string got = read_exactly(s, payload.size(), 500ms);
  EXPECT_LT(got.size(), 3000u);
  f.proxy->throttle(0);
  EXPECT_EQ(got.size() + read_exactly(s, payload.size() - got.size(), 5s).size(), payload.size());
}

TEST(FaultProxy, RefuseResetsNewConnectionsOnly) {
  Fixture f;
  TcpSocket old = f.connect();
  ASSERT_EQ(old.send_all("1", deadline_in(2s)), IoStatus::Ok);  // proxied for sure, not just queued
  ASSERT_EQ(read_exactly(old, 1, 2s), "1");
  f.proxy->refuse(true);
  // Accepted by the kernel, then reset by the proxy: the reset may already fail the connect.
  TcpSocket s;
  if (s.connect("127.0.0.1", f.proxy->port(), deadline_in(2s))) {
    char c;
    const IoStatus st = s.recv_some(&c, 1, deadline_in(2s)).status;
    EXPECT_TRUE(st == IoStatus::Error || st == IoStatus::Eof);
  }
  EXPECT_EQ(f.proxy->stats().open, 1u);
  ASSERT_EQ(old.send_all("still", deadline_in(2s)), IoStatus::Ok);
  EXPECT_EQ(read_exactly(old, 5, 2s), "still");
  f.proxy->refuse(false);
  TcpSocket again = f.connect();
  ASSERT_EQ(again.send_all("back", deadline_in(2s)), IoStatus::Ok);
  EXPECT_EQ(read_exactly(again, 4, 2s), "back");
}

TEST(FaultProxy, ClientCloseIsPassedOn) {
  Fixture f;
  {
    TcpSocket s = f.connect();
    ASSERT_EQ(s.send_all("x", deadline_in(2s)), IoStatus::Ok);
    ASSERT_EQ(read_exactly(s, 1, 2s), "x");
  }
  for (int i = 0; i < 100 && f.proxy->stats().open != 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(f.proxy->stats().open, 0u);
}

TEST(FaultProxy, UnreachableTargetResetsTheClient) {
  const std::uint16_t nobody = pick_free_port();
  std::string error;
  auto proxy = FaultProxy::start("127.0.0.1", nobody, nullptr, error);
  ASSERT_TRUE(proxy) << error;
  // The proxy accepts, fails to reach the target and resets: the reset may already fail the
  // connect.
  TcpSocket s;
  if (s.connect("127.0.0.1", proxy->port(), deadline_in(2s))) {
    char c;
    const IoStatus st = s.recv_some(&c, 1, deadline_in(3s)).status;
    EXPECT_TRUE(st == IoStatus::Error || st == IoStatus::Eof);
  }
  for (int i = 0; i < 100 && proxy->stats().accepted == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(proxy->stats().accepted, 1u);
  EXPECT_EQ(proxy->stats().open, 0u);
}

}  // namespace
}  // namespace flake::conform
