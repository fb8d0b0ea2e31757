// One epoll loop; each connection: HTTP upgrade, then text frames answered by id. test.emitLogs
// and logs.getLarge produce canned streams generated lazily as the socket drains, so the floor
// respects back-pressure like a real sidecar instead of buffering everything.
#include "bench/load/floor_echo.hpp"

#include "bench/load/wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

namespace flake::bench {
namespace {

constexpr std::size_t kHighWater = 512 * 1024;  // stop generating while this much is unsent
constexpr unsigned kChunks = 5;                 // a getLarge of 5 chunks (~ a 50,000-entry export)
constexpr std::size_t kChunkBytes = 1000 * 1000;

struct FloorConn {
  int fd = -1;
  bool upgraded = false;
  bool want_out = false;
  std::string in;
  std::string out;
  std::size_t out_pos = 0;
  // A stream in progress: remaining notifications, then the answer.
  std::uint64_t logs_left = 0;
  std::uint64_t next_n = 0;
  std::uint64_t seq = 0;
  unsigned chunks_left = 0;
  std::string pending_answer;
  ~FloorConn() {
    if (fd >= 0) ::close(fd);
  }
};

std::string accept_key(std::string_view key) {
  const std::string text = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  unsigned char b64[64];
  const int n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
}

std::string header_value(std::string_view head, std::string_view name) {
  // Case-insensitive search for "\r\nName:" in the request head.
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;
       at = head.find("\r\n", at + 2)) {
    const std::string_view line = head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
  }
  return {};
}

std::uint64_t scan_number_after(std::string_view text, std::string_view key) {
  const std::size_t at = text.find(key);
  if (at == std::string_view::npos) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = at + key.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (v > 10'000'000) break;
  }
  return v;
}

std::string answer(std::int64_t id, std::string_view result) {
  std::string a = "{\"jsonrpc\":\"2.0\",\"id\":";
  a.append(std::to_string(id)).append(",\"result\":").append(result).append("}");
  return a;
}

const std::string& cached_chunk_frame(unsigned index) {
  static const auto frames = [] {
    std::vector<std::string> v;
    for (unsigned i = 0; i < kChunks; ++i) {
      std::string f;
      append_server_frame(f, 2, floor_data_chunk(i, kChunkBytes));
      v.push_back(std::move(f));
    }
    return v;
  }();
  return frames[index % kChunks];
}

// Generates stream frames while the unsent backlog is small; the answer follows the last one.
void refill(FloorConn& c) {
  while (c.out.size() - c.out_pos < kHighWater && (c.logs_left > 0 || c.chunks_left > 0)) {
    if (c.logs_left > 0) {
      const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(c.logs_left, 100));
      append_server_frame(c.out, 1, floor_log_notification(++c.seq, c.next_n, n));
      c.next_n += n;
      c.logs_left -= n;
    } else {
      c.out.append(cached_chunk_frame(kChunks - c.chunks_left));
      --c.chunks_left;
    }
  }
  if (c.logs_left == 0 && c.chunks_left == 0 && !c.pending_answer.empty()) {
    c.out.append(c.pending_answer);
    c.pending_answer.clear();
  }
}

void on_request(FloorConn& c, std::string_view payload) {
  const std::int64_t id = scan_id(payload);
  if (id < 0) return;  // a notification: never answered
  std::string reply;
  if (payload.find("\"test.emitLogs\"") != std::string_view::npos) {
    const std::uint64_t count = scan_number_after(payload, "\"count\":");
    c.logs_left = count;
    c.next_n = 0;
    append_server_frame(c.pending_answer, 1,
                        answer(id, "{\"emitted\":" + std::to_string(count) + "}"));
    return;
  }
  if (payload.find("\"logs.getLarge\"") != std::string_view::npos) {
    const nlohmann::json meta = {{"jsonrpc", "2.0"},
                                 {"id", id},
                                 {"result",
                                  {{"stream", "floor"},
                                   {"totalEntries", 0},
                                   {"chunks", kChunks},
                                   {"bytes", kChunks * kChunkBytes},
                                   {"sha256", ""},
                                   {"format", "msgpack"},
                                   {"compressed", false}}}};
    const std::vector<std::uint8_t> packed = nlohmann::json::to_msgpack(meta);
    append_server_frame(
        c.out, 2, std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
    c.chunks_left = kChunks;
    return;
  }
  append_server_frame(c.out, 1, answer(id, "{\"now\":1732550400000}"));
}

// Returns false when the connection should be dropped.
bool on_readable(FloorConn& c) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    c.in.append(buf, static_cast<std::size_t>(n));
    break;  // level-triggered: more is read on the next round
  }
  std::size_t pos = 0;
  if (!c.upgraded) {
    const std::size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return c.in.size() < 16384;
    const std::string key =
        header_value(std::string_view(c.in).substr(0, end + 2), "Sec-WebSocket-Key");
    if (key.empty()) return false;
    c.out.append(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: ");
    c.out.append(accept_key(key)).append("\r\n\r\n");
    c.upgraded = true;
    pos = end + 4;
  }
  while (pos < c.in.size()) {
    bool bad = false;
    const auto f = next_frame(c.in.data() + pos, c.in.size() - pos, bad);
    if (bad) return false;
    if (!f) break;
    pos += f->size;
    if (f->opcode == 0x8) return false;
    if (f->opcode == 1) on_request(c, f->payload);
  }
  c.in.erase(0, pos);
  refill(c);
  return true;
}

// Writes what the socket takes; false on error.
bool on_writable(FloorConn& c) {
  for (;;) {
    refill(c);
    if (c.out_pos == c.out.size()) {
      c.out.clear();
      c.out_pos = 0;
      return true;
    }
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<std::size_t>(n);
      if (c.out_pos > kHighWater) {
        c.out.erase(0, c.out_pos);
        c.out_pos = 0;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

std::string floor_log_notification(std::uint64_t seq, std::uint64_t first_n, unsigned entries) {
  static constexpr const char* kLevels[] = {"debug", "info", "warn", "error"};
  std::string s =
      "{\"jsonrpc\":\"2.0\",\"method\":\"logs.update\",\"params\":{\"subscription\":"
      "\"sub-1\",\"service\":\"vercel\",\"seq\":";
  s.append(std::to_string(seq)).append(",\"entries\":[");
  for (unsigned i = 0; i < entries; ++i) {
    const std::uint64_t n = first_n + i;
    if (i) s.push_back(',');
    s.append("{\"ts\":1732550400000,\"level\":\"").append(kLevels[n % 4]);
    s.append("\",\"message\":\"test entry ").append(std::to_string(n));
    s.append("\",\"source\":\"test.emitLogs\",\"n\":").append(std::to_string(n)).append("}");
  }
  s.append("]}}");
  return s;
}

std::string floor_data_chunk(unsigned index, std::size_t bytes) {
  const nlohmann::json chunk = {
      {"jsonrpc", "2.0"},
      {"method", "data.chunk"},
      {"params",
       {{"stream", "floor"},
        {"index", index},
        {"payload", nlohmann::json::binary(std::vector<std::uint8_t>(bytes, 0x5a))}}}};
  const std::vector<std::uint8_t> packed = nlohmann::json::to_msgpack(chunk);
  return std::string(reinterpret_cast<const char*>(packed.data()), packed.size());
}

FloorServer::~FloorServer() {
  stop();
}

bool FloorServer::start(std::string& error) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 512) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error = std::string("floor server: ") + std::strerror(errno);
    return false;
  }
  port_ = ntohs(addr.sin_port);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    error = std::string("floor server: ") + std::strerror(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
  return true;
}

std::optional<clockid_t> FloorServer::cpu_clock() {
  clockid_t clock{};
  if (!thread_.joinable() || ::pthread_getcpuclockid(thread_.native_handle(), &clock) != 0) {
    return std::nullopt;
  }
  return clock;
}

void FloorServer::stop() {
  if (thread_.joinable()) {
    stop_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &epoll_fd_, &wake_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void FloorServer::run() {
  std::map<int, std::unique_ptr<FloorConn>> conns;
  epoll_event events[64];
  while (!stop_) {
    const int n = ::epoll_wait(epoll_fd_, events, 64, 500);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) continue;
      if (fd == listen_fd_) {
        for (int c;
             (c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
          const int one = 1;
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto conn = std::make_unique<FloorConn>();
          conn->fd = c;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = c;
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c, &ev);
          conns[c] = std::move(conn);
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      FloorConn& c = *it->second;
      bool ok = true;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ok = on_readable(c);
      if (ok) ok = on_writable(c);
      if (!ok) {
        conns.erase(it);  // closing the fd removes it from the epoll set
        continue;
      }
      // Write interest only while something waits to be sent: no wake-up per ACK.
      const bool pending = c.out_pos < c.out.size();
      if (pending != c.want_out) {
        c.want_out = pending;
        epoll_event ev{};
        ev.events = EPOLLIN | (pending ? EPOLLOUT : 0u);
        ev.data.fd = fd;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
      }
    }
  }
}

}  // namespace flake::bench
