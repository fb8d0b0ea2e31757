// Client-role RFC 6455 frames: the reader checks each server header as its bytes arrive and hands
// out payload views without copying; the encoder always masks unless told not to.
#include "reference/client/frame.hpp"

#include <algorithm>

namespace flake::client {
namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kRsv1 = 0x40;
constexpr uint8_t kRsv23 = 0x30;
constexpr uint8_t kMaskBit = 0x80;

bool known_opcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

}  // namespace

std::string_view describe(FrameError e) {
  switch (e) {
    case FrameError::kMasked:
      return "server frame masked";
    case FrameError::kReservedBits:
      return "reserved bits set";
    case FrameError::kUnknownOpcode:
      return "unknown opcode";
    case FrameError::kFragmentedControl:
      return "fragmented control frame";
    case FrameError::kControlTooLong:
      return "control frame over 125 bytes";
    case FrameError::kBadLength:
      return "bad payload length";
    case FrameError::kUnexpectedContinuation:
      return "continuation outside a message";
    case FrameError::kExpectedContinuation:
      return "data frame inside a fragmented message";
  }
  return "framing error";
}

FrameEvent FrameReader::fail(FrameError e) {
  phase_ = Phase::kError;
  error_ = e;
  FrameEvent ev;
  ev.kind = FrameEvent::Kind::kError;
  ev.header = header_;
  ev.error = e;
  return ev;
}

bool FrameReader::check_first_two_bytes() {
  const uint8_t b0 = hdr_[0];
  const uint8_t b1 = hdr_[1];
  header_ = FrameHeader{};
  header_.fin = (b0 & kFin) != 0;
  header_.rsv1 = (b0 & kRsv1) != 0;
  header_.opcode = b0 & 0x0F;
  const uint8_t len7 = b1 & 0x7F;
  header_.length = len7;
  const bool control = header_.is_control();
  const bool first_data = !control && header_.opcode != uint8_t(Opcode::kContinuation);

  if ((b0 & kRsv23) != 0 || (header_.rsv1 && !(rsv1_allowed_ && first_data))) {
    error_ = FrameError::kReservedBits;
  } else if (!known_opcode(header_.opcode)) {
    error_ = FrameError::kUnknownOpcode;
  } else if (control && !header_.fin) {
    error_ = FrameError::kFragmentedControl;
  } else if (control && len7 > 125) {
    error_ = FrameError::kControlTooLong;
  } else if (header_.opcode == uint8_t(Opcode::kContinuation) && !in_message_) {
    error_ = FrameError::kUnexpectedContinuation;
  } else if (first_data && in_message_) {
    error_ = FrameError::kExpectedContinuation;
  } else if ((b1 & kMaskBit) != 0) {
    error_ = FrameError::kMasked;
  } else {
    hdr_need_ = static_cast<uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0));
    return true;
  }
  return false;
}

FrameEvent FrameReader::next(std::span<const uint8_t>& input) {
  FrameEvent ev;
  switch (phase_) {
    case Phase::kError:
      return fail(error_);
    case Phase::kFrameEnd:
      phase_ = Phase::kHeader;
      hdr_len_ = 0;
      hdr_need_ = 2;
      ev.kind = FrameEvent::Kind::kFrameEnd;
      ev.header = header_;
      return ev;
    case Phase::kHeader:
      while (hdr_len_ < hdr_need_) {
        if (input.empty()) return ev;
        hdr_[hdr_len_++] = input.front();
        input = input.subspan(1);
        if (hdr_len_ == 2 && !check_first_two_bytes()) return fail(error_);
        if (hdr_len_ == 3 && hdr_need_ == 10 && (hdr_[2] & 0x80) != 0) {
          return fail(FrameError::kBadLength);
        }
      }
      if (hdr_need_ > 2) {
        uint64_t length = 0;
        for (unsigned i = 2; i < hdr_need_; ++i) length = (length << 8) | hdr_[i];
        header_.length = length;
      }
      if (!header_.is_control()) in_message_ = !header_.fin;
      remaining_ = header_.length;
      phase_ = remaining_ > 0 ? Phase::kPayload : Phase::kFrameEnd;
      ev.kind = FrameEvent::Kind::kHeader;
      ev.header = header_;
      return ev;
    case Phase::kPayload: {
      if (input.empty()) return ev;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size()));
      ev.kind = FrameEvent::Kind::kPayload;
      ev.header = header_;
      ev.payload = input.first(n);
      input = input.subspan(n);
      remaining_ -= n;
      if (remaining_ == 0) phase_ = Phase::kFrameEnd;
      return ev;
    }
  }
  return ev;
}

std::string encode_frame(Opcode op, bool fin, std::string_view payload, bool mask,
                         std::array<uint8_t, 4> key) {
  std::string out;
  out.reserve(payload.size() + 14);
  out += char((fin ? kFin : 0) | uint8_t(op));
  const uint8_t mask_bit = mask ? kMaskBit : 0;
  const uint64_t n = payload.size();
  if (n < 126) {
    out += char(mask_bit | n);
  } else if (n <= 0xFFFF) {
    out += char(mask_bit | 126);
    out += char(n >> 8);
    out += char(n & 0xFF);
  } else {
    out += char(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += char((n >> shift) & 0xFF);
  }
  if (!mask) {
    out.append(payload);
    return out;
  }
  out.append(reinterpret_cast<const char*>(key.data()), key.size());
  const size_t start = out.size();
  out.append(payload);
  for (size_t i = 0; i < payload.size(); ++i) out[start + i] ^= char(key[i & 3]);
  return out;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string out;
  if (code == 0) return out;
  out += char(code >> 8);
  out += char(code & 0xFF);
  out.append(reason.substr(0, 123));
  return out;
}

}  // namespace flake::client
