// The suite's TLS client (docs/protocol.md §14) over OpenSSL: trust by CA file or by a pinned
// SHA-256 fingerprint, a process-wide setting for the target and per-connection overrides.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace flake::conform {

using Sha256 = std::array<std::uint8_t, 32>;

// Deleters for OpenSSL objects held in std::unique_ptr (defined where OpenSSL is included).
struct SslFree {
  void operator()(ssl_st* p) const;
};
struct SslCtxFree {
  void operator()(ssl_ctx_st* p) const;
};
using SslPtr = std::unique_ptr<ssl_st, SslFree>;
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxFree>;

// "AB:CD:..." or plain hex, upper or lower case; nullopt unless exactly 32 octets.
std::optional<Sha256> parse_fingerprint(std::string_view text);
// 32 upper-case hex octets separated by colons, as §14.2d prints them.
std::string format_fingerprint(const Sha256& digest);
Sha256 sha256_of(std::string_view bytes);

// Protocol versions as OpenSSL numbers them (TLS1_2_VERSION = 0x0303, TLS1_3_VERSION = 0x0304).
inline constexpr int kTls12 = 0x0303;
inline constexpr int kTls13 = 0x0304;

// How the suite reaches a TLS sidecar. Trust is a CA file (the chain and the host or IP of the
// URL are verified) or a pinned fingerprint of the leaf (the chain is ignored); one of the two.
struct TlsClientOptions {
  bool enabled = false;
  std::string ca_file;
  std::optional<Sha256> fingerprint_sha256;
  // Checked against the certificate instead of the host connected to; an IP address is checked
  // as one and is never sent as SNI.
  std::string server_name;
  std::vector<std::string> alpn{"http/1.1"};  // empty: no ALPN extension
  int min_version = kTls12;
  int max_version = 0;  // 0: the highest OpenSSL supports
};

class TlsClient;

// One connection's departures from the target's setting (the §14 cases need them).
struct TlsConnect {
  enum class Use {
    kTarget,  // TLS exactly when the process-wide target setting (or `client`) has it on
    kPlain,   // never TLS (the fault proxy's client side, a plain request to a TLS port)
  };
  Use use = Use::kTarget;
  // Another trust than the target's (a wrong CA, another pin); TLS even when the target is plain.
  std::shared_ptr<const TlsClient> client;
  std::optional<std::vector<std::string>> alpn;  // replaces the offered list; {} offers none
  std::optional<int> min_version;                // below TLS 1.2 also lowers the security level
  std::optional<int> max_version;
};

// A configured client: the SSL_CTX built once from TlsClientOptions, shared by its connections.
class TlsClient {
 public:
  // Nullptr with `error` when the CA file cannot be read or the options contradict each other.
  static std::shared_ptr<const TlsClient> create(const TlsClientOptions& options,
                                                 std::string& error);
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  const TlsClientOptions& options() const { return options_; }
  ssl_ctx_st* ctx() const { return ctx_.get(); }

 private:
  TlsClient() = default;
  TlsClientOptions options_;
  SslCtxPtr ctx_;
};

// The process-wide setting TcpSocket::connect uses unless told otherwise; nullptr is plain text.
// Set once before any case runs (main), read by every connection.
void set_target_tls(std::shared_ptr<const TlsClient> client);
std::shared_ptr<const TlsClient> target_tls();

// What a completed handshake negotiated, for the §14 cases.
struct TlsInfo {
  int version = 0;           // kTls12, kTls13, ...
  std::string version_name;  // "TLSv1.3"
  std::string alpn;          // the selected protocol; empty when none was
  std::string cipher;
  std::vector<std::string> peer_chain_der;  // as the server sent it, its certificate first
  Sha256 leaf_fingerprint{};
};

enum class TlsIo { kOk, kEof, kWantRead, kWantWrite, kError };

// One TLS connection over a connected non-blocking descriptor the caller owns. The blocking-style
// calls wait with poll(2) until `deadline`; the step calls never wait (the fault proxy's loop).
class TlsSession {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Runs the handshake until `deadline`. Nullptr with `error` ("TLS handshake failed: ...") when
  // it fails or the certificate is not trusted; nothing but the handshake was sent then.
  static std::unique_ptr<TlsSession> handshake(const TlsClient& client, const TlsConnect& tweak,
                                               int fd, const std::string& host, Deadline deadline,
                                               std::string& error);
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Non-blocking steps: kWantRead/kWantWrite say what to poll for before trying again.
  TlsIo read_step(char* buffer, std::size_t size, std::size_t& got);
  TlsIo write_step(std::string_view bytes, std::size_t& written);
  // Decrypted or undecrypted bytes held inside OpenSSL, which poll(2) cannot see.
  bool has_pending() const;
  // Sends close_notify once (best effort, never waits); nothing after a fatal error.
  void close_notify();
  // After an abrupt close: never send close_notify.
  void mark_failed() { failed_ = true; }

  const TlsInfo& info() const { return info_; }
  const std::string& error() const { return error_; }

 private:
  TlsSession() = default;
  TlsIo classify(int result);

  SslPtr ssl_;
  bool failed_ = false;
  bool notified_ = false;
  TlsInfo info_;
  std::string error_;
};

// The text of the newest OpenSSL error on this thread's queue ("certificate verify failed"), and
// clears the queue.
std::string take_openssl_error();

}  // namespace flake::conform
