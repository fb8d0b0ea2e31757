// A WebSocket client built for testing servers: it exposes the handshake's HTTP answer, can send
// any frame (valid or not), answers pings unless told not to, and reports a close frame and an
// abrupt end of the connection as different outcomes.
#pragma once

#include "conformance/client/http_handshake.hpp"
#include "conformance/client/permessage_deflate.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client/url.hpp"
#include "conformance/client/wire_log.hpp"
#include "conformance/client/ws_frame.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

struct ConnectOptions {
  std::optional<std::string> origin;
  std::optional<std::string> host_header;  // replaces the URL's authority in Host
  bool omit_host = false;
  std::vector<std::string> subprotocols;
  HeaderList headers;
  bool offer_deflate = false;
  std::chrono::milliseconds timeout{5000};  // connect + handshake, and each send
  bool auto_pong = true;
  std::size_t max_message_bytes = std::size_t{256} << 20;
  // TLS as the target has it (target_tls()), or an override: plain (a fault proxy's port), another
  // ALPN list or version range (§14 cases).
  TlsConnect tls;
};

struct ConnectResult {
  bool connected = false;  // TCP connection established
  bool upgraded = false;   // 101 and every handshake check passed
  int status = 0;          // HTTP status of the answer, 0 when there was none
  std::string error;
  HttpResponseHead head;
  std::string body;  // the body of a refusal, when one was sent
  std::string subprotocol;
  bool deflate = false;
};

enum class MessageKind { Text, Binary, Close, Eof, Timeout, Error };
std::string_view to_string(MessageKind kind);

struct Message {
  MessageKind kind = MessageKind::Timeout;
  std::string data;                         // Text/Binary payload; Error/Eof detail
  std::optional<std::uint16_t> close_code;  // Close: absent when the frame had no body
  std::string close_reason;
};

class WsClient {
 public:
  explicit WsClient(WireLog* log = nullptr, int conn_no = 0) : log_(log), conn_no_(conn_no) {}
  // A connection still open is closed politely (close 1000, no waiting).
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  ConnectResult connect(const Url& url, const ConnectOptions& options);

  bool send_text(std::string_view payload);
  bool send_binary(std::string_view payload);
  // One message split into fragments of the given sizes (control frames may not be mixed in).
  bool send_fragmented(Opcode opcode, std::string_view payload, std::size_t fragment_size);
  bool send_frame(const FrameSpec& spec, std::string_view payload);
  bool send_raw(std::string_view bytes);
  bool send_ping(std::string_view payload);
  bool send_close(std::uint16_t code, std::string_view reason);

  // Next complete data message, close frame, EOF, error or timeout. Pings are answered here.
  Message next_message(Deadline deadline);

  // Close frame then wait (until deadline) for the server's close and EOF.
  void close(std::uint16_t code, Deadline deadline);
  // Drop the TCP connection without a close frame (RST).
  void abort();

  void set_auto_pong(bool on) { auto_pong_ = on; }
  // Off: a server close frame is reported but not answered (a peer that never completes the
  // closing handshake).
  void set_auto_close_reply(bool on) { auto_close_reply_ = on; }
  std::size_t pings_received() const { return pings_received_; }
  // Payloads of the pongs received so far (answers to send_ping).
  const std::vector<std::string>& pongs() const { return pongs_; }
  bool deflate_active() const { return deflater_ != nullptr; }
  void set_compress_outgoing(bool on) { compress_outgoing_ = on; }
  bool open() const { return socket_.is_open() && !eof_; }
  bool server_data_pending() const { return rpos_ < rbuf_.size() || socket_.readable_now(); }
  TcpSocket& socket() { return socket_; }

 private:
  bool send_data(Opcode opcode, std::string_view payload);
  bool write(std::string_view bytes, std::string_view what);
  std::optional<Message> on_frame();
  std::optional<Message> deliver();
  Message protocol_error(std::string why);
  void log(std::string_view dir, std::string_view text);
  void read_refusal_body(ConnectResult& result, Deadline deadline);

  WireLog* log_;
  int conn_no_;
  TcpSocket socket_;
  std::chrono::milliseconds send_timeout_{5000};
  std::size_t max_message_bytes_ = std::size_t{256} << 20;
  bool auto_pong_ = true;
  bool auto_close_reply_ = true;
  bool compress_outgoing_ = true;
  std::string rbuf_;
  std::size_t rpos_ = 0;
  FrameDecoder decoder_;
  Frame frame_;
  bool in_message_ = false;
  std::uint8_t message_opcode_ = 0;
  bool message_compressed_ = false;
  std::string message_;
  bool upgraded_ = false;
  bool close_sent_ = false;
  bool close_received_ = false;
  bool eof_ = false;
  std::string failed_;  // set after a protocol error from the server
  std::size_t pings_received_ = 0;
  std::vector<std::string> pongs_;
  std::unique_ptr<MessageDeflater> deflater_;
  std::unique_ptr<MessageInflater> inflater_;
};

}  // namespace flake::conform
