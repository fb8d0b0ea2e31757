// One accepted connection of the scripted sidecar: the scripted refusal or the upgrade, then the
// frame loop (masked and unmasked client frames, reassembly, pings, closes, permessage-deflate),
// and thread-safe sending in the script's frame layout.
#pragma once

#include "conformance/client/permessage_deflate.hpp"
#include "conformance/client/ws_frame.hpp"
#include "conformance/peer/peer_state.hpp"
#include "conformance/peer/server_socket.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace flake::conform::peer {

inline constexpr std::size_t kMaxClientMessage = 1 << 20;

class Connection {
 public:
  Connection(int index, PeerSocket socket, PeerState& state);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The connection's whole life; returns when it has ended (or the peer stops).
  void run();

  int index() const { return index_; }
  bool is_open() const;
  // Open and no close frame sent yet: a data message would still go out.
  bool can_send() const;
  // Sends one data message (after the script's rewrite, in the script's shape). Any thread.
  bool send_message(json message, bool binary, const Request* request);
  bool send_ping(const std::string& payload);  // any thread
  // Ends the connection as `fault` says. Connection thread only.
  void apply(const Fault& fault);

  // The session attached to this connection (empty before authentication). Connection thread.
  std::string session;

 private:
  bool handshake(const Refusal& refusal);
  void frame_loop();
  bool drain();
  bool on_frame(Frame& frame);
  void on_message(std::string data, bool binary, bool compressed);
  bool write_locked(std::string_view bytes);
  void send_close_locked(int code, std::string_view reason);
  void close_gracefully_locked(const std::string& how);
  void log(EventKind kind, std::string text);

  int index_;
  PeerSocket socket_;
  PeerState& state_;
  mutable std::mutex send_mutex_;
  std::atomic<bool> open_{false};  // changed under send_mutex_
  bool close_sent_ = false;
  Clock::time_point close_deadline_{};
  std::size_t messages_sent_ = 0;
  std::string inbuf_;
  FrameDecoder masked_decoder_{DecoderOptions{true, 0, kMaxClientMessage}};
  FrameDecoder unmasked_decoder_{DecoderOptions{false, 0, kMaxClientMessage}};
  FrameDecoder* active_ = nullptr;  // the decoder of the frame in progress
  Frame frame_;
  bool unmasked_reported_ = false;
  std::string message_;  // data message in progress
  bool in_message_ = false;
  bool message_binary_ = false;
  bool message_compressed_ = false;
  std::unique_ptr<MessageDeflater> deflater_;
  std::unique_ptr<MessageInflater> inflater_;
};

}  // namespace flake::conform::peer
