// RAII TCP client socket with deadlines on every operation, so no conformance case can hang.
#pragma once

#include "conformance/client/tls_client.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace flake::conform {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline deadline_in(std::chrono::milliseconds ms) {
  return Clock::now() + ms;
}

enum class IoStatus { Ok, Eof, Timeout, Error };

struct RecvResult {
  IoStatus status = IoStatus::Ok;
  std::size_t bytes = 0;
  std::string error;  // errno text for Error (e.g. "Connection reset by peer")
};

// The I/O under TcpSocket, for any non-blocking descriptor (the client mode's scripted sidecar
// uses it on accepted sockets): every wait ends at `deadline`.
// poll(2) for `events` until `deadline`; false when the deadline passed first.
bool wait_for_fd(int fd, short events, Deadline deadline);
// Sends every byte; on Error, `error` (when given) holds the errno text.
IoStatus send_all_fd(int fd, std::string_view bytes, Deadline deadline,
                     std::string* error = nullptr);
RecvResult recv_some_fd(int fd, char* buffer, std::size_t size, Deadline deadline);
void set_nonblocking(int fd);

class TcpSocket {
 public:
  TcpSocket() = default;
  ~TcpSocket();
  TcpSocket(TcpSocket&& other) noexcept;
  TcpSocket& operator=(TcpSocket&& other) noexcept;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;

  // Resolves host (numeric or name) and tries each address until `deadline`. With TLS (the
  // process-wide target_tls(), unless `tls` says otherwise) the handshake completes and the
  // certificate is verified before the same deadline, else false with error() ("TLS handshake
  // failed: ...") and nothing sent but the handshake. Everything below then goes through TLS:
  // the bytes given and received are the plain ones inside it.
  bool connect(const std::string& host, std::uint16_t port, Deadline deadline,
               const TlsConnect& tls = {});
  IoStatus send_all(std::string_view bytes, Deadline deadline);
  RecvResult recv_some(char* buffer, std::size_t size, Deadline deadline);
  // True when data (or EOF) can be read right now, without blocking (bytes OpenSSL holds count).
  bool readable_now() const;
  // TLS: close_notify first, then FIN.
  void shutdown_write();
  // Close with RST instead of FIN (SO_LINGER 0): an abrupt peer; no close_notify.
  void abort();
  // TLS: close_notify (best effort), then FIN.
  void close();

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }
  // The negotiated version, ALPN result and the server's chain; nullptr on a plain connection.
  const TlsInfo* tls_info() const { return tls_ ? &tls_->info() : nullptr; }

 private:
  RecvResult recv_tls(char* buffer, std::size_t size, Deadline deadline);

  int fd_ = -1;
  std::string error_;
  std::unique_ptr<TlsSession> tls_;
};

// A port that was free a moment ago on 127.0.0.1 (bind to 0, read it back, close).
std::uint16_t pick_free_port();

}  // namespace flake::conform
