// RFC 6455 framing in the client role: an incremental reader of the frames a server sends (which
// are never masked) and an encoder of the frames a client sends (always masked, §5.3). The
// sidecar's reference/ws/frame_reader is written for the server role (it requires masks and unmasks
// in place); a role switch there would touch every sidecar path, so the client keeps its own small
// one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace flake::client {

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
  bool rsv1 = false;  // permessage-deflate's "compressed" bit
  uint8_t opcode = 0;
  uint64_t length = 0;
  bool is_control() const { return opcode >= 0x8; }
};

// Framing violations by the server; each fails the connection (close 1002).
enum class FrameError {
  kMasked,                  // a server MUST NOT mask (RFC 6455 §5.1)
  kReservedBits,            // RSV2/RSV3, or RSV1 without deflate / on a continuation or control
  kUnknownOpcode,           //
  kFragmentedControl,       //
  kControlTooLong,          // > 125
  kBadLength,               // 64-bit length with the top bit set
  kUnexpectedContinuation,  // continuation with no message in progress
  kExpectedContinuation,    // new data frame inside a fragmented message
};
std::string_view describe(FrameError e);

struct FrameEvent {
  enum class Kind { kIncomplete, kHeader, kPayload, kFrameEnd, kError } kind = Kind::kIncomplete;
  FrameHeader header;
  std::span<const uint8_t> payload;  // kPayload: a view into the caller's input
  FrameError error{};
};

class FrameReader {
 public:
  explicit FrameReader(bool rsv1_allowed = false) : rsv1_allowed_(rsv1_allowed) {}

  // Consumes bytes from the front of `input` and returns the next event; kIncomplete once `input`
  // is used up. kFrameEnd needs no input, so drain until kIncomplete. After kError every call
  // returns the same error.
  FrameEvent next(std::span<const uint8_t>& input);

 private:
  enum class Phase : uint8_t { kHeader, kPayload, kFrameEnd, kError };
  FrameEvent fail(FrameError e);
  bool check_first_two_bytes();

  bool rsv1_allowed_;
  Phase phase_ = Phase::kHeader;
  FrameError error_{};
  bool in_message_ = false;
  std::array<uint8_t, 10> hdr_{};
  uint8_t hdr_len_ = 0;
  uint8_t hdr_need_ = 2;
  FrameHeader header_;
  uint64_t remaining_ = 0;
};

// One frame. `mask` false writes it unmasked (only the unmasked-frames defect does); the key is
// the caller's so tests can fix it; the driver draws it from OpenSSL's RNG for each frame.
std::string encode_frame(Opcode op, bool fin, std::string_view payload, bool mask,
                         std::array<uint8_t, 4> key);

// A close frame's payload: the 2-byte code (when code != 0) and the reason.
std::string close_payload(uint16_t code, std::string_view reason = {});

}  // namespace flake::client
