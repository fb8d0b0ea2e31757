// Connection: handshake, frame loop and sending. Client frames are checked with the harness's own
// FrameDecoder; an unmasked frame is recorded as a finding and still read, so the case that judges
// masking (§2.5) can say so instead of every case failing on it.
#include "conformance/peer/connection.hpp"

#include "conformance/client/wire_log.hpp"
#include "conformance/peer/dispatch.hpp"
#include "conformance/peer/upgrade.hpp"

#include <array>

namespace flake::conform::peer {
namespace {

constexpr auto kHandshakeWait = std::chrono::milliseconds(5000);
constexpr auto kSendWait = std::chrono::milliseconds(2000);
constexpr auto kPoll = std::chrono::milliseconds(20);
constexpr auto kCloseWait = std::chrono::milliseconds(1000);

std::string message_bytes(const json& message, bool binary) {
  if (!binary) return message.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::vector<std::uint8_t> packed = json::to_msgpack(message);
  return std::string(packed.begin(), packed.end());
}

int close_code_of(const std::string& payload) {
  if (payload.size() < 2) return 0;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

}  // namespace

Connection::Connection(int index, PeerSocket socket, PeerState& state)
    : index_(index), socket_(std::move(socket)), state_(state) {}

void Connection::log(EventKind kind, std::string text) {
  state_.log().add(index_, kind, std::move(text));
}

bool Connection::is_open() const {
  std::lock_guard lock(send_mutex_);
  return open_;
}

void Connection::run() {
  log(EventKind::Accept, "");
  {
    std::lock_guard lock(send_mutex_);
    open_ = true;
  }
  const Refusal refusal = state_.script().refusal ? state_.script().refusal(index_) : Refusal{};
  if (refusal.kind == Refusal::Kind::FinAtAccept) {
    std::lock_guard lock(send_mutex_);
    log(EventKind::Refuse, "FIN at accept");
    close_gracefully_locked("peer closed TCP at accept (refusal)");
    return;
  }
  if (refusal.kind == Refusal::Kind::ResetAtAccept) {
    std::lock_guard lock(send_mutex_);
    log(EventKind::Refuse, "RST at accept");
    socket_.abort();
    open_ = false;
    log(EventKind::End, "peer reset TCP at accept (refusal)");
    return;
  }
  if (!handshake(refusal)) return;
  frame_loop();
}

bool Connection::handshake(const Refusal& refusal) {
  RequestHeadParser parser;
  std::array<char, 4096> buffer{};
  const Deadline deadline = Clock::now() + kHandshakeWait;
  RequestHeadParser::Result parsed;
  while (parsed.status == RequestHeadParser::Status::Incomplete) {
    if (state_.stopping()) break;
    const RecvResult r =
        socket_.recv_some(buffer.data(), buffer.size(), std::min(deadline, Clock::now() + kPoll));
    if (r.status == IoStatus::Timeout && Clock::now() < deadline) continue;
    if (r.status != IoStatus::Ok) {
      std::lock_guard lock(send_mutex_);
      log(EventKind::HandshakeFail, r.status == IoStatus::Timeout
                                        ? "no complete upgrade request within 5000 ms"
                                        : "client ended the connection before its request head");
      socket_.close();
      open_ = false;
      log(EventKind::End, "handshake did not complete");
      return false;
    }
    parsed = parser.feed(std::string_view(buffer.data(), r.bytes));
    if (parsed.status == RequestHeadParser::Status::Done) {
      inbuf_.assign(buffer.data() + parsed.consumed, r.bytes - parsed.consumed);
    }
  }
  std::lock_guard lock(send_mutex_);
  if (parsed.status != RequestHeadParser::Status::Done) {
    log(EventKind::HandshakeFail, parser.error().empty() ? "peer stopping" : parser.error());
    close_gracefully_locked("handshake failed");
    return false;
  }
  std::string error;
  const RequestHead& head = parser.head();
  const auto offer = check_upgrade(head, error);
  std::string summary = head.method + " " + head.target;
  if (const auto p = head.header("sec-websocket-protocol")) summary += " protocols: " + *p;
  if (const auto x = head.header("sec-websocket-extensions")) summary += " extensions: " + *x;
  log(EventKind::Upgrade, summary);
  if (!offer) {
    log(EventKind::Finding, "invalid upgrade request: " + error);
    write_locked(refusal_response(400, "Bad Request", -1));
    close_gracefully_locked("peer closed after 400");
    return false;
  }
  if (refusal.kind == Refusal::Kind::Http503) {
    log(EventKind::Refuse,
        "503" + (refusal.retry_after_s >= 0
                     ? " with Retry-After: " + std::to_string(refusal.retry_after_s)
                     : std::string(" without Retry-After")));
    write_locked(refusal_response(503, "Service Unavailable", refusal.retry_after_s));
    close_gracefully_locked("peer closed after 503");
    return false;
  }
  std::string extension;
  if (state_.script().deflate && offer->offers_deflate) {
    DeflateAgreement agreed;
    extension = deflate_answer(*offer, agreed);
    deflater_ = std::make_unique<MessageDeflater>(agreed.server_window_bits,
                                                  agreed.server_no_context_takeover);
    inflater_ = std::make_unique<MessageInflater>(agreed.client_window_bits,
                                                  agreed.client_no_context_takeover);
    masked_decoder_.set_allowed_rsv(kRsv1);
    unmasked_decoder_.set_allowed_rsv(kRsv1);
  }
  if (!write_locked(switching_protocols(*offer, extension))) return false;
  log(EventKind::Upgraded, std::string(offer->offers_flake ? "flake.v1" : "no subprotocol") +
                               (extension.empty() ? "" : ", " + extension));
  if (refusal.kind == Refusal::Kind::UpgradeThenClose) {
    log(EventKind::Refuse, "101 then TCP close");
    close_gracefully_locked("peer closed TCP after 101 (refusal)");
    return false;
  }
  if (refusal.kind == Refusal::Kind::UpgradeThenCloseCode) {
    log(EventKind::Refuse, "101 then close " + std::to_string(refusal.close_code));
    send_close_locked(refusal.close_code, "refused");
  }
  return true;
}

void Connection::frame_loop() {
  std::array<char, 16384> buffer{};
  for (;;) {
    {
      std::lock_guard lock(send_mutex_);
      if (!open_) return;
      if (state_.stopping()) {
        socket_.close();
        open_ = false;
        log(EventKind::End, "peer stopped");
        return;
      }
      if (close_sent_ && Clock::now() >= close_deadline_) {
        close_gracefully_locked("peer closed TCP (no close frame answered within 1000 ms)");
        return;
      }
    }
    const RecvResult r = socket_.recv_some(buffer.data(), buffer.size(), Clock::now() + kPoll);
    if (r.status == IoStatus::Timeout) continue;
    if (r.status != IoStatus::Ok) {
      std::lock_guard lock(send_mutex_);
      socket_.close();
      open_ = false;
      log(EventKind::End,
          r.status == IoStatus::Eof ? "client closed TCP" : "TCP error: " + r.error);
      return;
    }
    inbuf_.append(buffer.data(), r.bytes);
    if (!drain()) return;
  }
}

bool Connection::drain() {
  while (open_) {
    if (active_ == nullptr) {
      if (inbuf_.size() < 2) return true;
      const bool masked = (static_cast<unsigned char>(inbuf_[1]) & 0x80) != 0;
      active_ = masked ? &masked_decoder_ : &unmasked_decoder_;
    }
    const FrameDecoder::Result r = active_->feed(inbuf_, frame_);
    inbuf_.erase(0, r.consumed);
    if (r.status == FrameDecoder::Status::Incomplete) return true;
    if (r.status == FrameDecoder::Status::Error) {
      std::lock_guard lock(send_mutex_);
      log(EventKind::Finding, "client frame breaks RFC 6455: " + std::string(to_string(r.error)));
      send_close_locked(r.error == FrameError::TooLarge ? 1009 : 1002, "protocol error");
      close_gracefully_locked("peer failed the connection");
      return false;
    }
    active_ = nullptr;
    if (!on_frame(frame_)) return false;
  }
  return false;
}

bool Connection::on_frame(Frame& f) {
  PeerEvent e;
  e.at = Clock::now();
  e.conn = index_;
  e.kind = EventKind::FrameIn;
  e.opcode = f.opcode;
  e.masked = f.masked;
  e.text = std::string(f.fin ? "fin" : "more") + (f.rsv != 0 ? " rsv1" : "") + " " +
           std::to_string(f.payload.size()) + " bytes";
  state_.log().add(std::move(e));
  if (!f.masked && !unmasked_reported_) {
    unmasked_reported_ = true;
    log(EventKind::Finding, "unmasked client frame (RFC 6455 §5.3: clients MUST mask)");
  }
  const auto op = static_cast<Opcode>(f.opcode);
  if (is_control_opcode(f.opcode)) {
    PeerEvent c;
    c.at = Clock::now();
    c.conn = index_;
    c.payload = f.payload;
    if (op == Opcode::Ping) {
      c.kind = EventKind::PingIn;
      state_.log().add(std::move(c));
      std::lock_guard lock(send_mutex_);
      if (!close_sent_ && write_locked(encode_server_frame(Opcode::Pong, f.payload))) {
        PeerEvent p;
        p.at = Clock::now();
        p.conn = index_;
        p.kind = EventKind::PongOut;
        p.payload = f.payload;
        p.text = "answering the client's ping";
        state_.log().add(std::move(p));
      }
      return true;
    }
    if (op == Opcode::Pong) {
      c.kind = EventKind::PongIn;
      state_.log().add(std::move(c));
      return true;
    }
    c.kind = EventKind::CloseIn;
    c.code = close_code_of(f.payload);
    c.payload.clear();
    state_.log().add(std::move(c));
    std::lock_guard lock(send_mutex_);
    if (!close_sent_)
      send_close_locked(close_code_of(f.payload) != 0 ? close_code_of(f.payload) : 1000, "");
    close_gracefully_locked(close_sent_ ? "closed after the close handshake" : "client closed");
    return false;
  }
  if (op == Opcode::Continuation) {
    if (!in_message_) {
      std::lock_guard lock(send_mutex_);
      log(EventKind::Finding, "continuation frame without a message in progress");
      send_close_locked(1002, "protocol error");
      close_gracefully_locked("peer failed the connection");
      return false;
    }
  } else {
    if (in_message_) {
      std::lock_guard lock(send_mutex_);
      log(EventKind::Finding, "new data frame while a fragmented message is in progress");
      send_close_locked(1002, "protocol error");
      close_gracefully_locked("peer failed the connection");
      return false;
    }
    in_message_ = true;
    message_.clear();
    message_binary_ = op == Opcode::Binary;
    message_compressed_ = (f.rsv & kRsv1) != 0;
  }
  if (message_.size() + f.payload.size() > kMaxClientMessage) {
    std::lock_guard lock(send_mutex_);
    log(EventKind::Finding, "client message larger than 1 MiB");
    send_close_locked(1009, "message too big");
    close_gracefully_locked("peer failed the connection");
    return false;
  }
  message_ += f.payload;
  if (!f.fin) return true;
  in_message_ = false;
  on_message(std::move(message_), message_binary_, message_compressed_);
  message_.clear();
  std::lock_guard lock(send_mutex_);
  return open_;
}

void Connection::on_message(std::string data, bool binary, bool compressed) {
  if (compressed) {
    std::string inflated;
    std::string error;
    if (!inflater_ || !inflater_->decompress(data, kMaxClientMessage, inflated, error)) {
      std::lock_guard lock(send_mutex_);
      log(EventKind::Finding, "compressed client message does not inflate: " + error);
      send_close_locked(1007, "bad compressed data");
      close_gracefully_locked("peer failed the connection");
      return;
    }
    data = std::move(inflated);
  }
  PeerEvent e;
  e.at = Clock::now();
  e.conn = index_;
  e.kind = EventKind::MessageIn;
  e.binary = binary;
  e.message = binary ? json::from_msgpack(data, true, false) : json::parse(data, nullptr, false);
  if (compressed) e.text = "compressed";
  const json message = e.message;
  const bool parsed = !e.message.is_discarded();
  if (!parsed) {
    e.text = "unparseable: " + (binary ? WireLog::hex_prefix(data) : WireLog::summarize_text(data));
  }
  state_.log().add(std::move(e));
  if (!parsed) {
    log(EventKind::Finding, "client message is not one JSON/MessagePack value");
    send_message({{"jsonrpc", "2.0"},
                  {"id", nullptr},
                  {"error", {{"code", -32700}, {"message", "Parse error"}}}},
                 binary, nullptr);
    return;
  }
  dispatch(*this, state_, message, binary);
}

bool Connection::write_locked(std::string_view bytes) {
  if (!open_) return false;
  if (socket_.send_all(bytes, Clock::now() + kSendWait) != IoStatus::Ok) {
    socket_.abort();
    open_ = false;
    log(EventKind::End, "send failed or the client read nothing for 2000 ms; peer reset TCP");
    return false;
  }
  return true;
}

bool Connection::send_message(json message, bool binary, const Request* request) {
  const PeerScript& script = state_.script();
  if (script.rewrite) script.rewrite(message, request);
  const std::string bytes = message_bytes(message, binary);
  std::lock_guard lock(send_mutex_);
  if (!open_ || close_sent_) return false;
  const SendShape shape = script.shape ? script.shape(index_, messages_sent_) : SendShape{};
  ++messages_sent_;
  if (shape.pong_before) {
    if (!write_locked(encode_server_frame(Opcode::Pong, shape.pong_payload))) return false;
    PeerEvent p;
    p.at = Clock::now();
    p.conn = index_;
    p.kind = EventKind::PongOut;
    p.payload = shape.pong_payload;
    p.text = "unsolicited";
    state_.log().add(std::move(p));
  }
  const std::string payload = deflater_ ? deflater_->compress(bytes) : bytes;
  const int pieces = std::max(1, std::min<int>(shape.fragments, static_cast<int>(payload.size())));
  const std::size_t step = payload.size() / static_cast<std::size_t>(pieces);
  std::string frames;
  for (int i = 0; i < pieces; ++i) {
    const std::size_t from = step * static_cast<std::size_t>(i);
    const std::size_t len = i + 1 == pieces ? payload.size() - from : step;
    const Opcode op = i == 0 ? (binary ? Opcode::Binary : Opcode::Text) : Opcode::Continuation;
    frames += encode_server_frame(op, std::string_view(payload).substr(from, len), i + 1 == pieces,
                                  i == 0 && deflater_ ? kRsv1 : 0);
    if (i == 0 && pieces > 1 && shape.ping_between) {
      frames += encode_server_frame(Opcode::Ping, shape.ping_payload);
    }
  }
  if (!write_locked(frames)) return false;
  PeerEvent e;
  e.at = Clock::now();
  e.conn = index_;
  e.kind = EventKind::Sent;
  e.binary = binary;
  e.message = std::move(message);
  if (pieces > 1 || deflater_) {
    e.text = std::to_string(pieces) + " frame(s)" + (deflater_ ? ", compressed" : "") +
             (pieces > 1 && shape.ping_between ? ", ping between" : "");
  }
  state_.log().add(std::move(e));
  if (pieces > 1 && shape.ping_between) {
    PeerEvent p;
    p.at = Clock::now();
    p.conn = index_;
    p.kind = EventKind::PingOut;
    p.payload = shape.ping_payload;
    p.text = "between fragments";
    state_.log().add(std::move(p));
  }
  return true;
}

bool Connection::send_ping(const std::string& payload) {
  std::lock_guard lock(send_mutex_);
  if (!open_ || close_sent_) return false;
  if (!write_locked(encode_server_frame(Opcode::Ping, payload))) return false;
  PeerEvent p;
  p.at = Clock::now();
  p.conn = index_;
  p.kind = EventKind::PingOut;
  p.payload = payload;
  state_.log().add(std::move(p));
  return true;
}

void Connection::send_close_locked(int code, std::string_view reason) {
  if (!open_ || close_sent_) return;
  if (!write_locked(encode_server_frame(Opcode::Close,
                                        close_payload(static_cast<std::uint16_t>(code), reason)))) {
    return;
  }
  close_sent_ = true;
  close_deadline_ = Clock::now() + kCloseWait;
  PeerEvent c;
  c.at = Clock::now();
  c.conn = index_;
  c.kind = EventKind::CloseOut;
  c.code = code;
  state_.log().add(std::move(c));
}

void Connection::close_gracefully_locked(const std::string& how) {
  if (!open_) return;
  // FIN first, then read what the client still sends until it closes too: closing with unread
  // bytes would turn the FIN into an RST, which is a different fault.
  socket_.shutdown_write();
  open_ = false;
  log(EventKind::End, how);
  std::array<char, 4096> sink{};
  const Deadline until = Clock::now() + std::chrono::milliseconds(300);
  while (Clock::now() < until) {
    const RecvResult r = socket_.recv_some(sink.data(), sink.size(), until);
    if (r.status != IoStatus::Ok) break;
  }
  socket_.close();
}

void Connection::apply(const Fault& fault) {
  std::lock_guard lock(send_mutex_);
  switch (fault.kind) {
    case Fault::Kind::None:
      return;
    case Fault::Kind::TcpClose:
      log(EventKind::Note, "fault: TCP close without a close frame");
      close_gracefully_locked("peer closed TCP (fault)");
      return;
    case Fault::Kind::TcpReset:
      log(EventKind::Note, "fault: TCP reset");
      socket_.abort();
      open_ = false;
      log(EventKind::End, "peer reset TCP (fault)");
      return;
    case Fault::Kind::CloseFrame:
      log(EventKind::Note, "fault: close " + std::to_string(fault.close_code));
      send_close_locked(fault.close_code, "scripted close");
      return;
  }
}

}  // namespace flake::conform::peer
