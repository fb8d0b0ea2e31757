// One load-generator connection: the WebSocket upgrade done by the conformance client library,
// then the socket taken over for the hot path (own framing, batched writes, in-place parsing).
#pragma once

#include "bench/load/wire.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client/url.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace flake::bench {

using conform::Clock;
using conform::Deadline;

class BenchConn {
 public:
  // TCP connect + upgrade, bounded by `deadline`.
  bool open(const conform::Url& url, Deadline deadline, std::string& error);
  // auth.authenticate with the token; false (and `error`) unless a result came back.
  bool authenticate(std::string_view token, Deadline deadline, std::string& error);
  // Sends a request (JSON text frame) and returns the payload of the answer with that id;
  // other messages on the way go to `on_other` when given. nullopt on error or deadline.
  std::optional<std::string> call(std::string_view method, std::string_view params_json,
                                  Deadline deadline, std::string& error,
                                  const std::function<void(const WireFrame&)>& on_other = {});

  // Hot path. queue_*() append to the send buffer; flush() writes as much as the socket takes
  // (false on a socket error). read_frames() reads what is available once and hands every
  // complete data frame to `on_frame`; false on EOF/error (then error() says why).
  void queue_text(std::string_view payload) { append_client_frame(out_, 1, payload); }
  bool flush();
  bool want_write() const { return out_pos_ < out_.size(); }
  bool read_frames(const std::function<void(const WireFrame&)>& on_frame);
  // Waits (poll) until readable or `deadline`; false at the deadline.
  bool wait_readable(Deadline deadline);
  bool flush_all(Deadline deadline);

  int fd() const { return socket_.fd(); }
  // Over TLS (the process-wide conform::target_tls() when the connection was opened).
  bool tls() const { return socket_.tls_info() != nullptr; }
  const conform::TlsInfo* tls_info() const { return socket_.tls_info(); }
  const std::string& error() const { return error_; }
  std::int64_t next_id() { return next_id_++; }
  static bool is_answer_to(std::string_view payload, std::int64_t id);
  void close() { socket_.close(); }

 private:
  bool read_plain();
  bool read_tls();

  conform::TcpSocket socket_;
  std::string out_;
  std::size_t out_pos_ = 0;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::size_t in_end_ = 0;
  std::string message_;  // fragments of a message in progress
  std::uint8_t message_opcode_ = 0;
  std::string error_;
  std::int64_t next_id_ = 1;
};

}  // namespace flake::bench
