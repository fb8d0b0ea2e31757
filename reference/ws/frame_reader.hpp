// Incremental RFC 6455 frame reader for the server side (frames a client sends): validates each
// header as its bytes arrive, unmasks payload in place, allocates nothing. Does not reassemble.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace flake::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA
};

struct FrameHeader {
  bool fin = false;
  bool rsv1 = false;    // permessage-deflate's "compressed" bit, only on a message's first frame
  uint8_t opcode = 0;   // raw 4-bit value
  uint64_t length = 0;  // payload length
  bool is_control() const { return opcode >= 0x8; }
};

// Every framing violation the reader detects (RFC 6455 §5.2-§5.5, RFC 7692 §6): each fails the
// connection with close code 1002. The message size limit is the caller's (it counts inflated
// bytes, which the reader never sees).
enum class FrameError {
  kUnmasked,       // client frames MUST be masked (§5.1)
  kReservedBits,   // RSV2/RSV3 set, or RSV1 without deflate negotiated, or RSV1 on a continuation
                   // or control frame
  kUnknownOpcode,  // 0x3-0x7, 0xB-0xF
  kFragmentedControl,       // control frame without FIN
  kControlTooLong,          // control frame payload > 125
  kBadLength,               // 64-bit length with the most significant bit set (non-minimal
                            // length encodings are accepted)
  kUnexpectedContinuation,  // continuation frame with no fragmented message in progress
  kExpectedContinuation,    // text/binary frame while a fragmented message is in progress
};
std::string_view describe(FrameError);  // short text for a close reason, <= 60 bytes

struct FrameEvent {
  enum class Kind { kIncomplete, kHeader, kPayload, kFrameEnd, kError } kind = Kind::kIncomplete;
  FrameHeader header;                // kHeader, kPayload, kFrameEnd: the current frame's header
  std::span<const uint8_t> payload;  // kPayload: unmasked bytes (a view into the caller's input)
  FrameError error{};                // kError
};

// Defect switches of the reference sidecar (docs/protocol.md §1.9): each makes the reader accept
// one thing RFC 6455 forbids, so the conformance suite can show its case failing.
struct FrameLeniency {
  bool unmasked_accepted = false;      // an unmasked client frame is read as it stands (no mask
                                       // key, payload not unmasked)
  bool reserved_bits_ignored = false;  // reserved bits that no extension allows are ignored:
                                       // cleared from the header (rsv1 reported false) instead of
                                       // kReservedBits
};

class FrameReader {
 public:
  static constexpr size_t kMaxHeaderSize = 14;  // 2 + 8 (64-bit length) + 4 (mask key)

  // rsv1_allowed: permessage-deflate negotiated. leniency: defect switches, all off by default.
  explicit FrameReader(bool rsv1_allowed = false, FrameLeniency leniency = {})
      : rsv1_allowed_(rsv1_allowed), leniency_(leniency) {}

  // Consumes bytes from the front of `input` (advancing it) and returns the next event. Payload
  // bytes are unmasked IN PLACE in `input` and returned as a view; the caller handles each event
  // before calling again. kIncomplete: all of `input` was consumed (or it was empty), call again
  // with more bytes. kFrameEnd needs no input, so the caller drains events until kIncomplete.
  // After kError the reader stays in error: every later call returns the same error and consumes
  // nothing.
  FrameEvent next(std::span<uint8_t>& input);

  // A fragmented data message is in progress: from the accepted header of a non-FIN text/binary
  // frame until the accepted header of its FIN continuation. Interleaved control frames leave it
  // unchanged.
  bool in_message() const { return in_message_; }

 private:
  enum class Phase : uint8_t { kHeader, kPayload, kFrameEnd, kError };

  FrameEvent read_header(std::span<uint8_t>& input);
  FrameEvent read_payload(std::span<uint8_t>& input);
  bool check_first_two_bytes();  // false: error_ set
  void read_length();
  FrameEvent fail(FrameError e);

  bool rsv1_allowed_;
  FrameLeniency leniency_;
  Phase phase_ = Phase::kHeader;
  FrameError error_{};
  bool in_message_ = false;

  uint8_t hdr_[kMaxHeaderSize] = {};
  uint8_t hdr_len_ = 0;
  uint8_t hdr_need_ = 2;  // bytes the header needs; known in full once the first two arrived
  uint8_t ext_len_ = 0;   // 0, 2 or 8 extended length bytes
  FrameHeader header_;

  uint64_t remaining_ = 0;  // payload bytes of the current frame not yet returned
  bool masked_ = true;      // false only for an unmasked frame let through by leniency_
  uint8_t mask_[4] = {};
  uint8_t mask_phase_ = 0;  // payload offset mod 4, so the key lines up across chunks
};

}  // namespace flake::ws
