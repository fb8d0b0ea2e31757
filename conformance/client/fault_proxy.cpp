// The fault proxy's forwarding loop: one thread, poll(2) over non-blocking sockets, bounded buffers
// per direction (a slow side stops reads from the other instead of growing memory). A TLS upstream
// is read and written through its session, so the faults act on the bytes inside TLS.
#include "conformance/client/fault_proxy.hpp"

#include "conformance/client/resolve.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client/tls_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <utility>
#include <vector>

namespace flake::conform {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kBufferCap = 256 * 1024;

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      close_now();
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~Fd() { close_now(); }
  void close_now() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void abort_now() {  // RST instead of FIN
    if (fd < 0) return;
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close_now();
  }
};

// A blocking connect on loopback is immediate; anything slower is a target that is not there.
Fd connect_upstream(const std::string& host, std::uint16_t port) {
  std::string error;
  for (const Endpoint& e : resolve_tcp(host, port, error)) {
    Fd s(::socket(e.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd < 0) continue;
    timeval tv{2, 0};
    ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(s.fd, e.sockaddr_ptr(), e.len) == 0) {
      const int one = 1;
      ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      set_nonblocking(s.fd);
      return s;
    }
  }
  return Fd();
}

// One direction of a proxied connection: bytes read from `from` wait in `buffer` for `to`.
struct Pipe {
  std::string buffer;
  bool eof = false;   // `from` has sent FIN
  bool shut = false;  // FIN passed on to `to`
  double tokens = 0;  // throttle budget in bytes
};

struct Pair {
  Fd client;
  Fd upstream;
  std::unique_ptr<TlsSession> tls;  // of `upstream`, when the sidecar speaks TLS
  Pipe up;                          // client -> upstream
  Pipe down;                        // upstream -> client
  bool dead = false;
  bool rst = false;  // close with RST (an error on one side is passed on as one)
};

}  // namespace

struct FaultProxy::Loop {
  std::string target_host;
  std::uint16_t target_port = 0;
  std::shared_ptr<const TlsClient> upstream_tls;
  Fd listener;
  Fd wake;

  std::mutex mutex;
  std::condition_variable applied_cv;
  std::uint64_t requested = 0;  // command generations, so callers wait for their change
  std::uint64_t applied = 0;
  bool stop = false;
  bool cut_pending = false;
  bool reset_pending = false;
  bool stalled = false;
  bool refusing = false;
  std::size_t rate = 0;
  FaultProxyStats stats;

  std::list<Pair> pairs;  // owned by the loop thread only

  void run();
  void accept_new(bool refusing_now);
  void pump(Pair& p, Pipe& pipe, int from, int to, bool may_read, std::size_t rate_now);
};

namespace {

void close_pair(Pair& p, bool rst) {
  if (p.tls) {
    if (rst) {
      p.tls->mark_failed();
    } else {
      p.tls->close_notify();  // a cut is an orderly close, inside TLS too
    }
    p.tls.reset();
  }
  if (rst) {
    p.client.abort_now();
    p.upstream.abort_now();
  } else {
    p.client.close_now();
    p.upstream.close_now();
  }
  p.dead = true;
}

}  // namespace

void FaultProxy::Loop::accept_new(bool refusing_now) {
  for (;;) {
    Fd c(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (c.fd < 0) return;
    std::lock_guard lock(mutex);
    ++stats.accepted;
    if (refusing_now) {
      c.abort_now();
      continue;
    }
    Fd up = connect_upstream(target_host, target_port);
    std::unique_ptr<TlsSession> tls;
    if (up.fd >= 0 && upstream_tls) {
      std::string why;  // loopback: a handshake slower than this is a sidecar that is not there
      tls = TlsSession::handshake(*upstream_tls, {}, up.fd, target_host,
                                  Clock::now() + std::chrono::seconds(2), why);
      if (!tls) up.close_now();
    }
    if (up.fd < 0) {
      c.abort_now();  // what a client of the real sidecar would see if it were down
      continue;
    }
    const int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Pair& p = pairs.emplace_back();
    p.client = std::move(c);
    p.upstream = std::move(up);
    p.tls = std::move(tls);
  }
}

namespace {

// One read from a side of a pair: > 0 bytes, 0 at EOF, -1 when it would block, -2 on an error.
ssize_t side_read(Pair& p, int fd, char* buffer, std::size_t want) {
  if (!p.tls || fd != p.upstream.fd) {
    const ssize_t n = ::recv(fd, buffer, want, 0);
    if (n >= 0) return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
  }
  std::size_t got = 0;
  switch (p.tls->read_step(buffer, want, got)) {
    case TlsIo::kOk:
      return static_cast<ssize_t>(got);
    case TlsIo::kEof:
      return 0;
    case TlsIo::kWantRead:
    case TlsIo::kWantWrite:
      return -1;
    case TlsIo::kError:
      break;
  }
  return -2;
}

// One write to a side of a pair: bytes written, -1 when it would block, -2 on an error.
ssize_t side_write(Pair& p, int fd, std::string_view bytes) {
  if (!p.tls || fd != p.upstream.fd) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
  }
  std::size_t written = 0;
  switch (p.tls->write_step(bytes, written)) {
    case TlsIo::kOk:
      return static_cast<ssize_t>(written);
    case TlsIo::kWantRead:
    case TlsIo::kWantWrite:
      return -1;
    case TlsIo::kEof:
    case TlsIo::kError:
      break;
  }
  return -2;
}

}  // namespace

// Moves bytes one step along a pipe: read what fits (and the throttle allows), write what is
// buffered, pass EOF on once the buffer has drained.
void FaultProxy::Loop::pump(Pair& p, Pipe& pipe, int from, int to, bool may_read,
                            std::size_t rate_now) {
  char chunk[16384];
  while (may_read && !pipe.eof && pipe.buffer.size() < kBufferCap) {
    std::size_t want = std::min(sizeof chunk, kBufferCap - pipe.buffer.size());
    if (rate_now > 0) {
      if (pipe.tokens < 1) break;
      want = std::min(want, static_cast<std::size_t>(pipe.tokens));
    }
    const ssize_t n = side_read(p, from, chunk, want);
    if (n > 0) {
      pipe.buffer.append(chunk, static_cast<std::size_t>(n));
      if (rate_now > 0) pipe.tokens -= static_cast<double>(n);
      continue;
    }
    if (n == 0) {
      pipe.eof = true;
    } else if (n == -2) {
      p.rst = true;
      p.dead = true;
    }
    break;
  }
  while (!pipe.buffer.empty() && !p.dead) {
    const ssize_t n = side_write(p, to, pipe.buffer);
    if (n > 0) {
      std::lock_guard lock(mutex);
      (&pipe == &p.up ? stats.to_upstream : stats.to_client) += static_cast<std::uint64_t>(n);
      pipe.buffer.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n == -2) {
      p.rst = true;
      p.dead = true;
    }
    break;
  }
  if (pipe.eof && pipe.buffer.empty() && !pipe.shut && !p.dead) {
    if (p.tls && to == p.upstream.fd) p.tls->close_notify();
    ::shutdown(to, SHUT_WR);
    pipe.shut = true;
  }
}

void FaultProxy::Loop::run() {
  auto last = SteadyClock::now();
  for (;;) {
    bool stalled_now = false;
    bool refusing_now = false;
    std::size_t rate_now = 0;
    {
      std::lock_guard lock(mutex);
      if (stop) break;
      if (cut_pending || reset_pending) {
        for (auto& p : pairs) close_pair(p, reset_pending);
        cut_pending = reset_pending = false;
      }
      stalled_now = stalled;
      refusing_now = refusing;
      rate_now = rate;
    }
    // Drop finished pairs (both directions shut, or an error), then tell waiting callers.
    for (auto it = pairs.begin(); it != pairs.end();) {
      if (!it->dead && it->up.shut && it->down.shut) close_pair(*it, false);
      if (it->dead) {
        if (it->client.fd >= 0 || it->upstream.fd >= 0) close_pair(*it, it->rst);
        it = pairs.erase(it);
      } else {
        ++it;
      }
    }
    {
      std::lock_guard lock(mutex);
      stats.open = pairs.size();
      applied = requested;
    }
    applied_cv.notify_all();

    const auto now = SteadyClock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    if (rate_now > 0) {
      // At most a tenth of a second's worth at once, so throttled traffic stays smooth.
      const double cap = std::max(1.0, static_cast<double>(rate_now) / 10);
      for (auto& p : pairs) {
        p.up.tokens = std::min(cap, p.up.tokens + dt * static_cast<double>(rate_now));
        p.down.tokens = std::min(cap, p.down.tokens + dt * static_cast<double>(rate_now));
      }
    }

    // Bytes OpenSSL already holds wake no poll(2): a pair with some, and room for them, is pumped
    // without waiting.
    auto tls_pending = [&](const Pair& p) {
      return p.tls && p.tls->has_pending() && !p.down.eof && p.down.buffer.size() < kBufferCap &&
             (rate_now == 0 || p.down.tokens >= 1);
    };
    bool pending_now = false;
    for (const auto& p : pairs) pending_now = pending_now || tls_pending(p);
    std::vector<pollfd> fds;
    fds.push_back({wake.fd, POLLIN, 0});
    fds.push_back({listener.fd, POLLIN, 0});
    for (auto& p : pairs) {
      auto events = [&](const Pipe& in, const Pipe& out) {
        short e = 0;
        if (!stalled_now && !in.eof && in.buffer.size() < kBufferCap &&
            (rate_now == 0 || in.tokens >= 1)) {
          e |= POLLIN;
        }
        if (!stalled_now && !out.buffer.empty()) e |= POLLOUT;
        return e;
      };
      // A stalled socket is left out of the poll altogether: a peer's hang-up must not wake it.
      fds.push_back({stalled_now ? -1 : p.client.fd, events(p.up, p.down), 0});
      fds.push_back({stalled_now ? -1 : p.upstream.fd, events(p.down, p.up), 0});
    }
    const int timeout_ms = !stalled_now && pending_now ? 0 : rate_now > 0 ? 10 : 1000;
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] const auto n = ::read(wake.fd, &v, sizeof v);
    }
    if (fds[1].revents & POLLIN) accept_new(refusing_now);
    if (stalled_now) continue;
    std::size_t i = 2;
    for (auto& p : pairs) {
      if (i + 1 >= fds.size()) break;  // accepted during this round: polled next time
      const short ce = fds[i].revents;
      const short ue = fds[i + 1].revents;
      i += 2;
      if (((ce | ue) & (POLLERR | POLLNVAL)) != 0) {
        p.rst = true;
        p.dead = true;
        continue;
      }
      pump(p, p.up, p.client.fd, p.upstream.fd, (ce & (POLLIN | POLLHUP)) != 0, rate_now);
      if (!p.dead)
        pump(p, p.down, p.upstream.fd, p.client.fd,
             (ue & (POLLIN | POLLHUP)) != 0 || tls_pending(p), rate_now);
    }
  }
  for (auto& p : pairs) close_pair(p, false);
  pairs.clear();
  std::lock_guard lock(mutex);
  applied = requested;
  applied_cv.notify_all();
}

std::unique_ptr<FaultProxy> FaultProxy::start(const std::string& target_host,
                                              std::uint16_t target_port,
                                              std::shared_ptr<const TlsClient> upstream_tls,
                                              std::string& error) {
  auto loop = std::make_unique<Loop>();
  loop->target_host = target_host;
  loop->target_port = target_port;
  loop->upstream_tls = std::move(upstream_tls);
  loop->listener = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  loop->wake = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (loop->listener.fd < 0 || loop->wake.fd < 0) {
    error = std::string("fault proxy: ") + std::strerror(errno);
    return nullptr;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(loop->listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(loop->listener.fd, 128) != 0 ||
      ::getsockname(loop->listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error = std::string("fault proxy: cannot listen on 127.0.0.1: ") + std::strerror(errno);
    return nullptr;
  }
  auto proxy = std::make_unique<FaultProxy>(Key{});
  proxy->port_ = ntohs(addr.sin_port);
  proxy->loop_ = std::move(loop);
  proxy->thread_ = std::thread([l = proxy->loop_.get()] { l->run(); });
  return proxy;
}

FaultProxy::FaultProxy(Key) {}

FaultProxy::~FaultProxy() {
  command([](Loop& l) { l.stop = true; });
  if (thread_.joinable()) thread_.join();
}

template <typename F>
void FaultProxy::command(F change) {
  std::unique_lock lock(loop_->mutex);
  change(*loop_);
  const std::uint64_t mine = ++loop_->requested;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(loop_->wake.fd, &one, sizeof one);
  loop_->applied_cv.wait_for(lock, std::chrono::seconds(5),
                             [&] { return loop_->applied >= mine || loop_->stop; });
}

void FaultProxy::cut() {
  command([](Loop& l) { l.cut_pending = true; });
}

void FaultProxy::reset() {
  command([](Loop& l) { l.reset_pending = true; });
}

void FaultProxy::stall(bool on) {
  command([on](Loop& l) { l.stalled = on; });
}

void FaultProxy::throttle(std::size_t bytes_per_second) {
  command([bytes_per_second](Loop& l) { l.rate = bytes_per_second; });
}

void FaultProxy::refuse(bool on) {
  command([on](Loop& l) { l.refusing = on; });
}

FaultProxyStats FaultProxy::stats() const {
  std::lock_guard lock(loop_->mutex);
  return loop_->stats;
}

}  // namespace flake::conform
