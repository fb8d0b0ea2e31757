// RFC 6455 section 5 framing: encoding (valid or deliberately broken) and incremental decoding.
#include "conformance/client/ws_frame.hpp"

#include <openssl/rand.h>

#include <algorithm>

namespace flake::conform {
namespace {

std::array<std::uint8_t, 4> random_mask() {
  std::array<std::uint8_t, 4> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    key = {0x37, 0xfa, 0x21, 0x3d};  // masking is not a secret for a test client
  }
  return key;
}

void append_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

}  // namespace

std::string encode_frame(const FrameSpec& spec, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 14);
  out.push_back(
      static_cast<char>((spec.fin ? 0x80 : 0) | ((spec.rsv & 0x7) << 4) | (spec.opcode & 0x0F)));
  const std::uint64_t length = spec.declared_length.value_or(payload.size());
  LengthForm form = spec.length_form;
  if (spec.length_msb) form = LengthForm::Extended64;
  if (form == LengthForm::Auto) {
    form = length < 126 ? LengthForm::Short7
                        : (length <= 0xFFFF ? LengthForm::Extended16 : LengthForm::Extended64);
  }
  const char mask_bit = spec.masked ? static_cast<char>(0x80) : 0;
  switch (form) {
    case LengthForm::Short7:
      out.push_back(static_cast<char>(mask_bit | (length & 0x7F)));
      break;
    case LengthForm::Extended16:
      out.push_back(static_cast<char>(mask_bit | 126));
      append_be(out, length & 0xFFFF, 2);
      break;
    case LengthForm::Extended64:
    case LengthForm::Auto:
      out.push_back(static_cast<char>(mask_bit | 127));
      append_be(out, spec.length_msb ? (length | (std::uint64_t{1} << 63)) : length, 8);
      break;
  }
  if (!spec.masked) {
    out.append(payload);
    return out;
  }
  const auto key = spec.mask_key.value_or(random_mask());
  out.append(reinterpret_cast<const char*>(key.data()), key.size());
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out[start + i] = static_cast<char>(out[start + i] ^ static_cast<char>(key[i % 4]));
  }
  return out;
}

std::string encode_client_frame(Opcode opcode, std::string_view payload, bool fin,
                                std::uint8_t rsv) {
  FrameSpec spec;
  spec.opcode = static_cast<std::uint8_t>(opcode);
  spec.fin = fin;
  spec.rsv = rsv;
  return encode_frame(spec, payload);
}

std::string encode_server_frame(Opcode opcode, std::string_view payload, bool fin,
                                std::uint8_t rsv) {
  FrameSpec spec;
  spec.opcode = static_cast<std::uint8_t>(opcode);
  spec.fin = fin;
  spec.rsv = rsv;
  spec.masked = false;
  return encode_frame(spec, payload);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string out;
  append_be(out, code, 2);
  out.append(reason);
  return out;
}

std::string_view to_string(FrameError error) {
  switch (error) {
    case FrameError::None:
      return "no error";
    case FrameError::ReservedOpcode:
      return "reserved opcode";
    case FrameError::ReservedBits:
      return "RSV bit set without a negotiated extension";
    case FrameError::ControlTooLong:
      return "control frame payload longer than 125 bytes";
    case FrameError::ControlFragmented:
      return "fragmented control frame (FIN clear)";
    case FrameError::UnexpectedMask:
      return "masked frame where unmasked frames are required";
    case FrameError::MissingMask:
      return "unmasked frame where masked frames are required";
    case FrameError::LengthMsbSet:
      return "most significant bit of 64-bit length set";
    case FrameError::NonMinimalLength:
      return "payload length not in its minimal form";
    case FrameError::TooLarge:
      return "frame payload larger than the configured limit";
  }
  return "unknown frame error";
}

void FrameDecoder::reset() {
  state_ = State::Header;
  error_ = FrameError::None;
  header_have_ = 0;
  header_need_ = 2;
  payload_length_ = 0;
  payload_have_ = 0;
}

FrameError FrameDecoder::check_first_two_bytes() const {
  const std::uint8_t b0 = header_[0];
  const std::uint8_t b1 = header_[1];
  const std::uint8_t opcode = b0 & 0x0F;
  const std::uint8_t rsv = (b0 >> 4) & 0x7;
  const bool masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  if (!is_known_opcode(opcode)) return FrameError::ReservedOpcode;
  if ((rsv & ~options_.allowed_rsv) != 0) return FrameError::ReservedBits;
  if (is_control_opcode(opcode)) {
    if (len7 > kMaxControlPayload) return FrameError::ControlTooLong;
    if ((b0 & 0x80) == 0) return FrameError::ControlFragmented;
  }
  if (masked && !options_.expect_masked) return FrameError::UnexpectedMask;
  if (!masked && options_.expect_masked) return FrameError::MissingMask;
  return FrameError::None;
}

FrameError FrameDecoder::finish_header(Frame& out) {
  const std::uint8_t len7 = header_[1] & 0x7F;
  std::size_t offset = 2;
  std::uint64_t length = len7;
  if (len7 == 126) {
    length = (std::uint64_t{header_[2]} << 8) | header_[3];
    offset = 4;
    if (length < 126) return FrameError::NonMinimalLength;
  } else if (len7 == 127) {
    length = 0;
    for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | header_[i];
    offset = 10;
    if ((length >> 63) != 0) return FrameError::LengthMsbSet;
    if (length <= 0xFFFF) return FrameError::NonMinimalLength;
  }
  if (length > options_.max_payload) return FrameError::TooLarge;
  if (masked_) std::copy_n(header_.begin() + static_cast<std::ptrdiff_t>(offset), 4, mask_.begin());
  payload_length_ = length;
  payload_have_ = 0;
  out.fin = (header_[0] & 0x80) != 0;
  out.rsv = (header_[0] >> 4) & 0x7;
  out.opcode = header_[0] & 0x0F;
  out.masked = masked_;
  out.payload.clear();
  // Reserve at most what is cheap; the declared length is not trusted beyond max_payload.
  out.payload.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(length, 1 << 20)));
  return FrameError::None;
}

FrameDecoder::Result FrameDecoder::feed(std::string_view bytes, Frame& out) {
  std::size_t pos = 0;
  if (state_ == State::Failed) return {Status::Error, 0, error_};
  auto fail = [&](FrameError e) {
    state_ = State::Failed;
    error_ = e;
    return Result{Status::Error, pos, e};
  };
  if (state_ == State::Header) {
    while (header_have_ < header_need_) {
      if (pos == bytes.size()) return {Status::Incomplete, pos, FrameError::None};
      header_[header_have_++] = static_cast<std::uint8_t>(bytes[pos++]);
      if (header_have_ == 2) {
        if (const FrameError e = check_first_two_bytes(); e != FrameError::None) return fail(e);
        masked_ = (header_[1] & 0x80) != 0;
        const std::uint8_t len7 = header_[1] & 0x7F;
        header_need_ = 2 + (len7 == 126 ? 2 : (len7 == 127 ? 8 : 0)) + (masked_ ? 4 : 0);
      }
    }
    if (const FrameError e = finish_header(out); e != FrameError::None) return fail(e);
    state_ = State::Payload;
  }
  const std::uint64_t want = payload_length_ - payload_have_;
  const std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(want, bytes.size() - pos));
  const std::size_t start = out.payload.size();
  out.payload.append(bytes.substr(pos, take));
  if (masked_) {
    for (std::size_t i = 0; i < take; ++i) {
      out.payload[start + i] = static_cast<char>(out.payload[start + i] ^
                                                 static_cast<char>(mask_[(payload_have_ + i) % 4]));
    }
  }
  pos += take;
  payload_have_ += take;
  if (payload_have_ < payload_length_) return {Status::Incomplete, pos, FrameError::None};
  state_ = State::Header;
  header_have_ = 0;
  header_need_ = 2;
  return {Status::Frame, pos, FrameError::None};
}

}  // namespace flake::conform
