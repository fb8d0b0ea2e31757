// RFC 6455 frame layer of the harness: an encoder that can also produce deliberately invalid
// frames, and an incremental decoder that validates every header rule before any payload is
// accepted.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake::conform {

enum class Opcode : std::uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

inline constexpr std::uint8_t kRsv1 = 0x4;  // RSV bits as a 3-bit field: RSV1 is the high bit
inline constexpr std::uint8_t kRsv2 = 0x2;
inline constexpr std::uint8_t kRsv3 = 0x1;
inline constexpr std::size_t kMaxControlPayload = 125;

constexpr bool is_control_opcode(std::uint8_t op) {
  return (op & 0x8) != 0;
}
constexpr bool is_known_opcode(std::uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// How the payload length is written. Anything but Auto may be non-minimal, which RFC 6455 5.2
// forbids: that is the point, negative tests need it.
enum class LengthForm { Auto, Short7, Extended16, Extended64 };

struct FrameSpec {
  std::uint8_t opcode = 0x1;  // raw 4-bit value, reserved opcodes allowed on purpose
  bool fin = true;
  std::uint8_t rsv = 0;  // kRsv1 | kRsv2 | kRsv3
  bool masked = true;    // clients must mask; false produces an invalid client frame
  std::optional<std::array<std::uint8_t, 4>> mask_key;  // random when absent
  LengthForm length_form = LengthForm::Auto;
  std::optional<std::uint64_t> declared_length;  // a length that lies about the payload
  bool length_msb = false;  // sets the forbidden most significant bit of a 64-bit length
};

// Header plus (masked) payload, ready for the wire.
std::string encode_frame(const FrameSpec& spec, std::string_view payload);

// The common valid case: a masked client frame.
std::string encode_client_frame(Opcode opcode, std::string_view payload, bool fin = true,
                                std::uint8_t rsv = 0);

// An unmasked server frame (for decoder tests and fake servers).
std::string encode_server_frame(Opcode opcode, std::string_view payload, bool fin = true,
                                std::uint8_t rsv = 0);

// Close frame body: 2-byte big-endian code followed by the reason.
std::string close_payload(std::uint16_t code, std::string_view reason);

enum class FrameError {
  None,
  ReservedOpcode,
  ReservedBits,
  ControlTooLong,
  ControlFragmented,
  UnexpectedMask,
  MissingMask,
  LengthMsbSet,
  NonMinimalLength,
  TooLarge,
};
std::string_view to_string(FrameError error);

struct Frame {
  bool fin = true;
  std::uint8_t rsv = 0;
  std::uint8_t opcode = 0;
  bool masked = false;
  std::string payload;  // already unmasked
};

struct DecoderOptions {
  bool expect_masked = false;    // true when decoding client-to-server frames
  std::uint8_t allowed_rsv = 0;  // e.g. kRsv1 once permessage-deflate is agreed
  std::uint64_t max_payload = std::uint64_t{1} << 31;
};

// Feed bytes as they arrive; each call consumes what it can. A frame's bytes may be split at
// any boundary: the result only depends on the byte sequence. Errors are sticky until reset().
class FrameDecoder {
 public:
  enum class Status { Incomplete, Frame, Error };
  struct Result {
    Status status = Status::Incomplete;
    std::size_t consumed = 0;
    FrameError error = FrameError::None;
  };

  explicit FrameDecoder(DecoderOptions options = {}) : options_(options) {}

  Result feed(std::string_view bytes, Frame& out);
  void reset();
  void set_allowed_rsv(std::uint8_t rsv) { options_.allowed_rsv = rsv; }

 private:
  FrameError check_first_two_bytes() const;
  FrameError finish_header(Frame& out);

  enum class State { Header, Payload, Failed };
  DecoderOptions options_;
  State state_ = State::Header;
  FrameError error_ = FrameError::None;
  std::array<std::uint8_t, 14> header_{};
  std::size_t header_have_ = 0;
  std::size_t header_need_ = 2;
  std::array<std::uint8_t, 4> mask_{};
  bool masked_ = false;
  std::uint64_t payload_length_ = 0;
  std::uint64_t payload_have_ = 0;
};

}  // namespace flake::conform
