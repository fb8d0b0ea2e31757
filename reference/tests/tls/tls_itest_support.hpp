// What the TLS integration tests share: a throwaway CA -> intermediate -> leaf chain generated at
// run time, a spawned flake-sidecar whose standard output and error are read, and a small blocking
// OpenSSL client with just enough HTTP and WebSocket to talk to it.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::tls_itest {

// Files in a fresh temporary directory, removed with it: ca.pem, chain.pem (leaf then
// intermediate), leaf.pem (the leaf alone), leaf.key.pem, other.key.pem (a key of no certificate).
struct Pki {
  Pki();
  ~Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;
  std::string dir;
  std::string path(std::string_view name) const { return dir + "/" + std::string(name); }
  std::string leaf_fingerprint;  // "AB:CD:..." of the leaf's DER
};
const Pki& shared_pki();

extern const char* const kToken;

// flake-sidecar on port 0 with the test token and `extra` options; stops it (SIGTERM) on
// destruction. `started` is false when it exited before its start-up line (then `exit_status`).
class Spawned {
 public:
  explicit Spawned(const std::vector<std::string>& extra);
  ~Spawned();
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;
  bool started = false;
  int exit_status = -1;  // when it exited before the start-up line
  std::string line;      // the start-up line
  std::string scheme;    // "ws" or "wss"
  int port = 0;
  std::string err;  // standard error read so far
  pid_t pid = -1;
  size_t open_fds() const;  // descriptors the sidecar holds now
  // Reads what the sidecar wrote to standard error since.
  void read_stderr(std::chrono::milliseconds wait);

 private:
  int out_fd_ = -1;
  int err_fd_ = -1;
};

struct ClientOptions {
  std::vector<std::string> alpn = {};  // offered protocols; empty: no ALPN extension
  int min_version = 0;                 // TLS1_VERSION, ...; 0: OpenSSL's default
  int max_version = 0;
  bool legacy = false;  // security level 0, so that TLS 1.0/1.1 can be offered at all
  bool verify = true;   // against the shared CA, with host name 127.0.0.1
};

class TlsClient {
 public:
  TlsClient() = default;
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;
  // TCP connect to 127.0.0.1:port; then the handshake. Returns false with error() on failure.
  bool connect(int port, const ClientOptions& options = {});
  // The TCP connection alone: write() and read_some() then carry plain text (ws:// and probes).
  bool tcp_only(int port);
  const std::string& error() const { return error_; }
  std::string alpn() const;
  int version() const { return SSL_version(ssl_); }
  int peer_chain_length() const;
  bool verified() const { return SSL_get_verify_result(ssl_) == X509_V_OK; }
  bool write(std::string_view bytes);
  // Up to `max` bytes; empty at EOF, on error or after the socket's 5 s receive timeout.
  std::string read_some(size_t max = 65536);
  bool read_exact(size_t n, std::string& out);
  // Reads until `marker` has been seen (inclusive) or the stream ends.
  std::string read_until(std::string_view marker);
  bool raw_write(std::string_view bytes);
  std::string raw_read_all(std::chrono::milliseconds timeout);  // until EOF or timeout
  void close();

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string error_;
  std::string pending_;  // read but not yet consumed
};

// HTTP/1.1 GET over `c`; the whole response (head and body, Connection: close).
std::string https_get(TlsClient& c, int port, std::string_view path, std::string_view extra = "");

// WebSocket over `c`: the upgrade (true on 101), text frames out (masked), messages in (pings are
// answered; a close frame or EOF gives nullopt).
bool ws_upgrade(TlsClient& c, int port);
bool ws_send_text(TlsClient& c, std::string_view text);
// A close frame stores its status code in `close_code` when given.
std::optional<std::string> ws_read_text(TlsClient& c, int* close_code = nullptr);
// Sends `request` and returns the first message that carries "\"id\":<id>".
std::optional<std::string> ws_call(TlsClient& c, std::string_view request, int id);

}  // namespace flake::tls_itest
