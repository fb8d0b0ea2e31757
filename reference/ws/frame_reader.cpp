// Incremental RFC 6455 frame reader for the server side: header checks byte by byte as they
// arrive, payload unmasked in place a 64-bit word at a time.
#include "reference/ws/frame_reader.hpp"

#include <algorithm>
#include <cstring>

namespace flake::ws {
namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kRsv1 = 0x40;
constexpr uint8_t kRsv2 = 0x20;
constexpr uint8_t kRsv3 = 0x10;
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLengthBits = 0x7F;
constexpr uint8_t kMaxControlLength = 125;

bool known_opcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// XORs `bytes` with the key starting at key position `phase`. Eight bytes per step: a multiple of
// four keeps the key phase fixed, so one precomputed 64-bit word serves the whole run. memcpy
// keeps the loads legal at any alignment and compiles to plain moves.
void unmask(std::span<uint8_t> bytes, const uint8_t (&key)[4], unsigned phase) {
  uint8_t rotated[8];
  for (unsigned i = 0; i < 8; ++i) rotated[i] = key[(phase + i) & 3];
  uint64_t key_word;
  std::memcpy(&key_word, rotated, sizeof key_word);

  uint8_t* p = bytes.data();
  size_t n = bytes.size();
  for (; n >= 32; p += 32, n -= 32) {
    uint64_t w[4];
    std::memcpy(w, p, sizeof w);
    w[0] ^= key_word;
    w[1] ^= key_word;
    w[2] ^= key_word;
    w[3] ^= key_word;
    std::memcpy(p, w, sizeof w);
  }
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    w ^= key_word;
    std::memcpy(p, &w, sizeof w);
  }
  for (size_t i = 0; i < n; ++i) p[i] ^= rotated[i];
}

}  // namespace

std::string_view describe(FrameError e) {
  switch (e) {
    case FrameError::kUnmasked:
      return "client frame not masked";
    case FrameError::kReservedBits:
      return "reserved bits set";
    case FrameError::kUnknownOpcode:
      return "unknown opcode";
    case FrameError::kFragmentedControl:
      return "fragmented control frame";
    case FrameError::kControlTooLong:
      return "control frame payload over 125 bytes";
    case FrameError::kBadLength:
      return "payload length has most significant bit set";
    case FrameError::kUnexpectedContinuation:
      return "continuation frame outside a fragmented message";
    case FrameError::kExpectedContinuation:
      return "new data frame inside a fragmented message";
  }
  return "framing error";
}

FrameEvent FrameReader::next(std::span<uint8_t>& input) {
  switch (phase_) {
    case Phase::kHeader:
      return read_header(input);
    case Phase::kPayload:
      return read_payload(input);
    case Phase::kFrameEnd: {
      phase_ = Phase::kHeader;
      hdr_len_ = 0;
      hdr_need_ = 2;
      ext_len_ = 0;
      FrameEvent ev;
      ev.kind = FrameEvent::Kind::kFrameEnd;
      ev.header = header_;
      return ev;
    }
    case Phase::kError:
      break;
  }
  FrameEvent ev;
  ev.kind = FrameEvent::Kind::kError;
  ev.header = header_;
  ev.error = error_;
  return ev;
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
  const uint8_t op = b0 & kOpcodeBits;
  const uint8_t len7 = b1 & kLengthBits;
  header_.fin = (b0 & kFin) != 0;
  header_.rsv1 = (b0 & kRsv1) != 0;
  header_.opcode = op;
  header_.length = len7;
  const bool control = header_.is_control();

  const bool rsv1_legal = rsv1_allowed_ && !control && op != uint8_t(Opcode::kContinuation);
  const bool reserved = (b0 & (kRsv2 | kRsv3)) != 0 || (header_.rsv1 && !rsv1_legal);
  if (reserved && leniency_.reserved_bits_ignored) header_.rsv1 = header_.rsv1 && rsv1_legal;
  const bool masked = (b1 & kMaskBit) != 0;

  // Order matters to callers and tests: the first violated rule in this sequence is reported.
  if (reserved && !leniency_.reserved_bits_ignored) {
    error_ = FrameError::kReservedBits;
  } else if (!known_opcode(op)) {
    error_ = FrameError::kUnknownOpcode;
  } else if (control && !header_.fin) {
    error_ = FrameError::kFragmentedControl;
  } else if (control && len7 > kMaxControlLength) {
    error_ = FrameError::kControlTooLong;
  } else if (op == uint8_t(Opcode::kContinuation) && !in_message_) {
    error_ = FrameError::kUnexpectedContinuation;
  } else if (!control && op != uint8_t(Opcode::kContinuation) && in_message_) {
    error_ = FrameError::kExpectedContinuation;
  } else if (!masked && !leniency_.unmasked_accepted) {
    error_ = FrameError::kUnmasked;
  } else {
    masked_ = masked;
    ext_len_ = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    hdr_need_ = static_cast<uint8_t>(2 + ext_len_ + (masked ? 4 : 0));
    return true;
  }
  return false;
}

void FrameReader::read_length() {
  uint64_t length = hdr_[1] & kLengthBits;
  if (ext_len_ > 0) {
    length = 0;
    for (unsigned i = 0; i < ext_len_; ++i) length = (length << 8) | hdr_[2 + i];
  }
  header_.length = length;
}

FrameEvent FrameReader::read_header(std::span<uint8_t>& input) {
  while (hdr_len_ < hdr_need_) {
    if (input.empty()) return FrameEvent{};
    hdr_[hdr_len_++] = input.front();
    input = input.subspan(1);
    if (hdr_len_ == 2 && !check_first_two_bytes()) return fail(error_);
    // The most significant bit of a 64-bit length sits in the first extended byte.
    if (hdr_len_ == 3 && ext_len_ == 8 && (hdr_[2] & 0x80) != 0) {
      return fail(FrameError::kBadLength);
    }
    if (hdr_len_ == 2 + ext_len_) read_length();
  }

  if (masked_) std::memcpy(mask_, hdr_ + hdr_need_ - 4, 4);
  mask_phase_ = 0;
  remaining_ = header_.length;
  if (!header_.is_control()) in_message_ = !header_.fin;
  phase_ = remaining_ > 0 ? Phase::kPayload : Phase::kFrameEnd;

  FrameEvent ev;
  ev.kind = FrameEvent::Kind::kHeader;
  ev.header = header_;
  return ev;
}

FrameEvent FrameReader::read_payload(std::span<uint8_t>& input) {
  if (input.empty()) return FrameEvent{};
  const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size()));
  std::span<uint8_t> chunk = input.first(n);
  if (masked_) unmask(chunk, mask_, mask_phase_);
  mask_phase_ = static_cast<uint8_t>((mask_phase_ + n) & 3);
  remaining_ -= n;
  input = input.subspan(n);
  if (remaining_ == 0) phase_ = Phase::kFrameEnd;

  FrameEvent ev;
  ev.kind = FrameEvent::Kind::kPayload;
  ev.header = header_;
  ev.payload = chunk;
  return ev;
}

}  // namespace flake::ws
