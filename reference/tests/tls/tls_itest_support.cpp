// The TLS integration tests' spawned sidecar and OpenSSL client (see tls_itest_support.hpp).
#include "reference/tests/tls/tls_itest_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <thread>

namespace flake::tls_itest {

const char* const kToken = "tls-itest-token-0123456789";

Spawned::Spawned(const std::vector<std::string>& extra) {
  static const std::string token_path = [] {
    const std::string p = shared_pki().path("token");
    FILE* f = std::fopen(p.c_str(), "w");
    std::fputs(kToken, f);
    std::fclose(f);
    return p;
  }();
  std::vector<std::string> args{FLAKE_SIDECAR_BIN, "--port",   "0",
                                "--token-file",    token_path, "--conformance"};
  args.insert(args.end(), extra.begin(), extra.end());
  int out[2], err_pipe[2];
  if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err_pipe, O_CLOEXEC) < 0)
    throw std::runtime_error("pipe");
  pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err_pipe[1]);
  out_fd_ = out[0];
  err_fd_ = err_pipe[0];
  ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  // The start-up line, or the end of standard output.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  static const std::regex kLine(R"(listening on (wss?)://[^/ ]+:([0-9]+)/rpc)");
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    std::smatch m;
    const size_t eol = text.find('\n');
    if (eol != std::string::npos && std::regex_search(text, m, kLine)) {
      line = text.substr(0, text.find('\n', static_cast<size_t>(m.position(0))));
      scheme = m[1];
      port = std::stoi(m[2]);
      started = true;
      break;
    }
  }
  read_stderr(std::chrono::milliseconds(started ? 50 : 0));
  if (!started) {
    int status = 0;
    if (::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) exit_status = WEXITSTATUS(status);
    pid = -1;
    read_stderr(std::chrono::milliseconds(0));
  }
}

Spawned::~Spawned() {
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Spawned::read_stderr(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  do {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (true);
}

size_t Spawned::open_fds() const {
  size_t count = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

TlsClient::~TlsClient() {
  close();
}

void TlsClient::close() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
  ssl_ = nullptr;
  ctx_ = nullptr;
  fd_ = -1;
  pending_.clear();
}

bool TlsClient::tcp_only(int port) {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    error_ = "connect failed";
    return false;
  }
  const timeval timeout{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return true;
}

bool TlsClient::connect(int port, const ClientOptions& options) {
  if (!tcp_only(port)) return false;
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (options.legacy) SSL_CTX_set_security_level(ctx_, 0);
  if (options.min_version) SSL_CTX_set_min_proto_version(ctx_, options.min_version);
  if (options.max_version) SSL_CTX_set_max_proto_version(ctx_, options.max_version);
  if (options.verify) {
    SSL_CTX_load_verify_locations(ctx_, shared_pki().path("ca.pem").c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& p : options.alpn) wire += static_cast<char>(p.size()) + p;
    SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  ssl_ = SSL_new(ctx_);
  if (options.verify) SSL_set1_host(ssl_, "127.0.0.1");
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) {
    const unsigned long code = ERR_get_error();
    char text[256] = "handshake failed";
    if (code) ERR_error_string_n(code, text, sizeof text);
    error_ = text;
    ERR_clear_error();
    return false;
  }
  return true;
}

std::string TlsClient::alpn() const {
  const unsigned char* data = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return std::string(reinterpret_cast<const char*>(data), length);
}

int TlsClient::peer_chain_length() const {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  return chain ? sk_X509_num(chain) : 0;
}

bool TlsClient::write(std::string_view bytes) {
  if (ssl_ == nullptr) return raw_write(bytes);
  while (!bytes.empty()) {
    const int n =
        SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 20)));
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string TlsClient::read_some(size_t max) {
  if (!pending_.empty()) {
    std::string out = pending_.substr(0, max);
    pending_.erase(0, out.size());
    return out;
  }
  std::string out(max, '\0');
  const int n = ssl_ ? SSL_read(ssl_, out.data(), static_cast<int>(max))
                     : static_cast<int>(::recv(fd_, out.data(), max, 0));
  ERR_clear_error();
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

bool TlsClient::read_exact(size_t n, std::string& out) {
  out.clear();
  while (out.size() < n) {
    std::string part = read_some(n - out.size());
    if (part.empty()) return false;
    out += part;
  }
  return true;
}

std::string TlsClient::read_until(std::string_view marker) {
  std::string out;
  while (out.find(marker) == std::string::npos) {
    std::string part = read_some(4096);
    if (part.empty()) return out;
    out += part;
  }
  const size_t end = out.find(marker) + marker.size();
  pending_ = out.substr(end) + pending_;
  out.resize(end);
  return out;
}

bool TlsClient::raw_write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string TlsClient::raw_read_all(std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return out;  // EOF or reset: the end
    out.append(buf, static_cast<size_t>(n));
  }
  out += "<timeout>";
  return out;
}

std::string https_get(TlsClient& c, int port, std::string_view path, std::string_view extra) {
  const std::string request = "GET " + std::string(path) +
                              " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nConnection: close\r\n" + std::string(extra) + "\r\n";
  if (!c.write(request)) return {};
  std::string out;
  for (std::string part; !(part = c.read_some()).empty();) out += part;
  return out;
}

bool ws_upgrade(TlsClient& c, int port) {
  const std::string request = "GET /rpc HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  if (!c.write(request)) return false;
  return c.read_until("\r\n\r\n").starts_with("HTTP/1.1 101");
}

namespace {
bool send_frame(TlsClient& c, uint8_t opcode, std::string_view payload) {
  std::string frame;
  frame += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else if (payload.size() < 65536) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size() & 0xff);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      frame += static_cast<char>((payload.size() >> shift) & 0xff);
  }
  frame.append(4, '\0');  // an all-zero mask leaves the payload as it is
  frame += payload;
  return c.write(frame);
}
}  // namespace

bool ws_send_text(TlsClient& c, std::string_view text) {
  return send_frame(c, 0x1, text);
}

std::optional<std::string> ws_read_text(TlsClient& c, int* close_code) {
  std::string message;
  while (true) {
    std::string head;
    if (!c.read_exact(2, head)) return std::nullopt;
    const uint8_t opcode = static_cast<uint8_t>(head[0]) & 0x0f;
    const bool fin = (static_cast<uint8_t>(head[0]) & 0x80) != 0;
    uint64_t length = static_cast<uint8_t>(head[1]) & 0x7f;
    std::string ext;
    if (length == 126 || length == 127) {
      if (!c.read_exact(length == 126 ? 2 : 8, ext)) return std::nullopt;
      length = 0;
      for (char b : ext) length = (length << 8) | static_cast<uint8_t>(b);
    }
    std::string payload;
    if (!c.read_exact(length, payload)) return std::nullopt;
    if (opcode == 0x8) {
      if (close_code != nullptr && payload.size() >= 2) {
        *close_code = (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]);
      }
      return std::nullopt;
    }
    if (opcode == 0x9) {
      send_frame(c, 0xA, payload);
      continue;
    }
    if (opcode == 0xA) continue;
    message += payload;
    if (fin) return message;
  }
}

std::optional<std::string> ws_call(TlsClient& c, std::string_view request, int id) {
  if (!ws_send_text(c, request)) return std::nullopt;
  const std::string marker = "\"id\":" + std::to_string(id);
  while (true) {
    std::optional<std::string> message = ws_read_text(c);
    if (!message) return message;
    for (size_t at = message->find(marker); at != std::string::npos;
         at = message->find(marker, at + 1)) {
      const size_t end = at + marker.size();
      if (end < message->size() && ((*message)[end] == ',' || (*message)[end] == '}'))
        return message;
    }
  }
}

}  // namespace flake::tls_itest
