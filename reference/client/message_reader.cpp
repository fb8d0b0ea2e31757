// Message assembly for the client: data frames are collected (inflated as they arrive when the
// message is compressed), control frames are delivered at once even inside a fragmented message.
#include "reference/client/message_reader.hpp"

#include "reference/ws/deflate.hpp"

namespace flake::client {

MessageReader::MessageReader(std::optional<DeflateAgreed> deflate, size_t max_message_bytes,
                             ClientBehaviour behaviour)
    : frames_(deflate.has_value()), max_message_bytes_(max_message_bytes), behaviour_(behaviour) {
  if (deflate) {
    // The sidecar's Inflater is written for the server side, where "client_no_context_takeover"
    // means "the peer resets its window"; here the peer is the server.
    ws::DeflateParams params;
    params.client_no_context_takeover = deflate->server_no_context_takeover;
    inflater_ = std::make_unique<ws::Inflater>(params);
  }
}

MessageReader::~MessageReader() = default;

void MessageReader::fail(uint16_t code, std::string reason, std::vector<Incoming>& out) {
  failed_ = true;
  out.push_back(Incoming{Incoming::Kind::kFail, std::move(reason), code});
}

void MessageReader::feed(std::span<const uint8_t> bytes, std::vector<Incoming>& out) {
  while (!failed_) {
    FrameEvent ev = frames_.next(bytes);
    switch (ev.kind) {
      case FrameEvent::Kind::kIncomplete:
        return;
      case FrameEvent::Kind::kError:
        fail(1002, std::string(describe(ev.error)), out);
        return;
      case FrameEvent::Kind::kHeader: {
        const FrameHeader& h = ev.header;
        if (h.is_control()) {
          control_.clear();
          break;
        }
        if (h.opcode == uint8_t(Opcode::kContinuation)) {
          if (!behaviour_.accepts_continuation_frames()) {
            fail(1002, "continuation frame", out);
            return;
          }
        } else {
          in_message_ = true;
          message_op_ = Opcode(h.opcode);
          compressed_ = h.rsv1 && behaviour_.inflates_compressed_messages();
          message_.clear();
        }
        if (!compressed_ && message_.size() + h.length > max_message_bytes_) {
          fail(1009, "message too big", out);
          return;
        }
        break;
      }
      case FrameEvent::Kind::kPayload: {
        const auto& p = ev.payload;
        if (ev.header.is_control()) {
          control_.append(reinterpret_cast<const char*>(p.data()), p.size());
        } else if (compressed_) {
          const ws::InflateStatus s = inflater_->feed(p, message_, max_message_bytes_);
          if (s == ws::InflateStatus::kTooBig) return fail(1009, "message too big", out);
          if (s == ws::InflateStatus::kCorrupt) return fail(1007, "bad deflate data", out);
        } else {
          message_.append(reinterpret_cast<const char*>(p.data()), p.size());
        }
        break;
      }
      case FrameEvent::Kind::kFrameEnd:
        on_frame_end(ev.header, out);
        break;
    }
  }
}

void MessageReader::on_frame_end(const FrameHeader& h, std::vector<Incoming>& out) {
  if (h.is_control()) {
    Incoming in;
    switch (Opcode(h.opcode)) {
      case Opcode::kPing:
        in.kind = Incoming::Kind::kPing;
        break;
      case Opcode::kPong:
        if (!behaviour_.accepts_unsolicited_pongs()) return fail(1002, "unexpected pong", out);
        in.kind = Incoming::Kind::kPong;
        break;
      default:
        in.kind = Incoming::Kind::kClose;
        if (control_.size() == 1) return fail(1002, "close payload of 1 byte", out);
        if (control_.size() >= 2) {
          in.code = uint16_t(uint8_t(control_[0]) << 8 | uint8_t(control_[1]));
          control_.erase(0, 2);
        }
        break;
    }
    in.payload = std::move(control_);
    control_.clear();
    out.push_back(std::move(in));
    return;
  }
  if (!h.fin) return;
  if (compressed_) {
    const ws::InflateStatus s = inflater_->finish(message_, max_message_bytes_);
    if (s == ws::InflateStatus::kTooBig) return fail(1009, "message too big", out);
    if (s == ws::InflateStatus::kCorrupt) return fail(1007, "bad deflate data", out);
  }
  in_message_ = false;
  compressed_ = false;
  Incoming in;
  in.kind = message_op_ == Opcode::kBinary ? Incoming::Kind::kBinary : Incoming::Kind::kText;
  in.payload = std::move(message_);
  message_.clear();
  out.push_back(std::move(in));
}

}  // namespace flake::client
