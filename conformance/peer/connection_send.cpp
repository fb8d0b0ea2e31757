// Connection's sending side: data messages in the script's frame layout (fragments, pings between
// them, unsolicited pongs, permessage-deflate), pings, closes, and the scripted ways to end.
#include "conformance/peer/connection.hpp"

#include <array>

namespace flake::conform::peer {
namespace {

constexpr auto kSendWait = std::chrono::milliseconds(2000);
constexpr auto kCloseWait = std::chrono::milliseconds(1000);

std::string message_bytes(const json& message, bool binary) {
  if (!binary) return message.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::vector<std::uint8_t> packed = json::to_msgpack(message);
  return std::string(packed.begin(), packed.end());
}

}  // namespace

bool Connection::write_locked(std::string_view bytes) {
  if (!open_) return false;
  if (socket_.send_all(bytes, Clock::now() + kSendWait) != IoStatus::Ok) {
    // Any thread may be the writer (a case's ping): the descriptor stays open until the connection
    // is destroyed, so the connection thread never reads from a number the kernel gave away.
    socket_.reset_in_place();
    open_ = false;
    log(EventKind::End, "send failed or the client read nothing for 2000 ms; peer ended TCP");
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
  const bool compress = deflater_ && shape.compress;
  const std::string payload = compress ? deflater_->compress(bytes) : bytes;
  const int pieces = std::max(1, std::min<int>(shape.fragments, static_cast<int>(payload.size())));
  const std::size_t step = payload.size() / static_cast<std::size_t>(pieces);
  std::string frames;
  for (int i = 0; i < pieces; ++i) {
    const std::size_t from = step * static_cast<std::size_t>(i);
    const std::size_t len = i + 1 == pieces ? payload.size() - from : step;
    const Opcode op = i == 0 ? (binary ? Opcode::Binary : Opcode::Text) : Opcode::Continuation;
    frames += encode_server_frame(op, std::string_view(payload).substr(from, len), i + 1 == pieces,
                                  i == 0 && compress ? kRsv1 : 0);
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
    e.text = std::to_string(pieces) + " frame(s)" + (compress ? ", compressed" : "") +
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
