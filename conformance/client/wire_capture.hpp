// What the suite writes to its sockets during one case, per connection and in order, for the
// reproducer files of --reproducers. Without an active capture the socket hooks cost one atomic
// load and record nothing.
#pragma once

#include "conformance/client/mask_stream.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

enum class CaptureKind {
  Connect,        // a TCP connection opened (bytes: the host:port it went to)
  Send,           // bytes written, WebSocket frames with mask key 0 (payload in plain)
  Frames,         // from here on the connection's writes are WebSocket client frames
  ShutdownWrite,  // half-close (FIN)
  Abort,          // RST
  Close,          // the socket released
  Recv,           // the suite read `received` bytes (consecutive reads of one connection merged)
};

struct CaptureEvent {
  CaptureKind kind = CaptureKind::Send;
  int conn = 0;  // 1, 2, ... in order of connecting
  long long at_ms = 0;
  std::string bytes;
  std::size_t received = 0;  // Recv
};

class WireCapture {
 public:
  // `secret`: the sidecar's token; a capture that would hide it where a placeholder cannot
  // reach (a compressed message, a token split over frames) reports a problem instead.
  explicit WireCapture(std::string secret, std::size_t max_bytes = std::size_t{64} << 20);

  void on_connect(int fd, std::string_view host, std::uint16_t port);
  void on_send(int fd, std::string_view bytes);
  void on_shutdown_write(int fd);
  void on_abort(int fd);
  void on_close(int fd);
  void on_recv(int fd, std::size_t bytes);
  // The plaintext of a message about to be compressed (permessage-deflate).
  void on_compressed_plaintext(std::string_view plaintext);

  std::vector<CaptureEvent> events() const;
  // Why the capture cannot become a reproducer; empty when it can.
  std::string problem() const;
  const std::string& secret() const { return secret_; }

 private:
  struct Conn {
    int no = 0;
    std::string head;  // the first request head, until its blank line
    bool frames = false;
    std::unique_ptr<MaskRewriter> rewriter;
    std::string message;  // plain text of the data message being assembled
    std::size_t frame_hits = 0;
  };
  long long now_ms() const;
  bool push(CaptureKind kind, int conn, std::string bytes);
  void set_problem(std::string why);
  void on_frame(Conn& c, std::uint8_t opcode, bool fin, std::string_view payload);

  mutable std::mutex mutex_;
  std::string secret_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::map<int, Conn> open_;  // by file descriptor
  int next_no_ = 1;
  std::vector<CaptureEvent> events_;
  std::string problem_;
};

// The capture socket operations report to; null (the default) when nothing is recorded.
WireCapture* active_capture();
void set_active_capture(WireCapture* capture);

}  // namespace flake::conform
