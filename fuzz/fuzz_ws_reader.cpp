// Target: the reference's server-side frame reader (FrameReader, reference/ws_frame_reader.hpp) and
// the permessage-deflate Inflater behind it (reference/ws_deflate.hpp): every byte a client sends.
// Input: one option byte (bit 0: deflate negotiated, so RSV1 allowed; bit 1: unmasked frames
// accepted; bit 2: reserved bits ignored; bits 3-5: a piece-size seed; bit 6:
// client_no_context_takeover), then the byte stream.
// Properties: the frames, their unmasked payloads, the error and the inflated messages do not
// depend on how the stream is split (whole, 1-byte, seeded pieces); each header agrees with its
// bytes, each payload is those bytes unmasked and adds up to the header's length; after an error
// nothing more is consumed; an inflated message never grows past its limit by more than one byte,
// and a failed Inflater repeats its failure.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "reference/ws/deflate.hpp"
#include "reference/ws/frame_reader.hpp"

namespace {

using namespace flake::ws;
using Kind = FrameEvent::Kind;

constexpr std::size_t kInflateLimit = std::size_t{1} << 20;
// Odd sizes and sizes around the reader's 8- and 32-byte unmasking steps.
constexpr std::array<std::size_t, 8> kPieceSizes = {2, 3, 5, 7, 9, 14, 33, 130};

struct Options {
  bool rsv1_allowed = false;
  FrameLeniency leniency;
  DeflateParams deflate;
  std::size_t piece = 0;
};

struct Frame {
  FrameHeader header;
  std::string payload;  // unmasked, all kPayload events of the frame concatenated
  bool ended = false;   // kFrameEnd seen
};

// One compressed message as the Inflater saw it.
struct Message {
  InflateStatus status = InflateStatus::kOk;
  std::string out;
  bool finished = false;  // finish() called at its last frame's end
};

struct Trace {
  std::vector<Frame> frames;
  std::vector<Message> messages;
  std::optional<FrameError> error;
  FrameHeader error_header;
  std::size_t consumed = 0;  // stream bytes the reader took
};

bool same(const FrameHeader& a, const FrameHeader& b) {
  return a.fin == b.fin && a.rsv1 == b.rsv1 && a.opcode == b.opcode && a.length == b.length;
}

bool same(const Trace& a, const Trace& b) {
  if (a.frames.size() != b.frames.size() || a.messages.size() != b.messages.size()) return false;
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    const Frame& x = a.frames[i];
    const Frame& y = b.frames[i];
    if (!same(x.header, y.header) || x.payload != y.payload || x.ended != y.ended) return false;
  }
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    const Message& x = a.messages[i];
    const Message& y = b.messages[i];
    if (x.status != y.status || x.out != y.out || x.finished != y.finished) return false;
  }
  if (a.error != b.error || a.consumed != b.consumed) return false;
  return !a.error || same(a.error_header, b.error_header);
}

bool known_opcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// One pass over the stream with a fresh reader and Inflater, checking every event against the
// original bytes as it comes.
class Pass {
 public:
  Pass(const Options& options, std::span<const uint8_t> stream)
      : options_(options),
        stream_(stream),
        reader_(options.rsv1_allowed, options.leniency),
        inflater_(options.deflate) {}

  Trace run() {
    std::size_t at = 0;
    do {
      const std::size_t left = stream_.size() - at;
      const std::size_t n = options_.piece == 0 ? left : std::min(options_.piece, left);
      // A copy of exactly the piece: the reader unmasks in place, and ASan sees any read past it.
      std::vector<uint8_t> piece(stream_.begin() + at, stream_.begin() + at + n);
      feed(piece);
      at += n;
    } while (at < stream_.size());
    if (!trace_.error) FLAKE_FUZZ_CHECK(trace_.consumed == stream_.size());
    return std::move(trace_);
  }

 private:
  // Drains events until the reader wants more bytes (or has failed).
  void feed(std::vector<uint8_t>& piece) {
    std::span<uint8_t> input(piece);
    while (true) {
      uint8_t* const before = input.data();
      const std::size_t before_size = input.size();
      const FrameEvent ev = reader_.next(input);
      FLAKE_FUZZ_CHECK(input.size() <= before_size);
      const std::size_t took = before_size - input.size();
      FLAKE_FUZZ_CHECK(input.data() == before + took);  // consumed from the front
      if (trace_.error) {
        // Sticky: the same error again, nothing consumed.
        FLAKE_FUZZ_CHECK(ev.kind == Kind::kError && ev.error == *trace_.error && took == 0);
        return;
      }
      const std::size_t offset = trace_.consumed;  // stream offset of the bytes just taken
      trace_.consumed += took;
      switch (ev.kind) {
        case Kind::kIncomplete:
          FLAKE_FUZZ_CHECK(input.empty());
          return;
        case Kind::kHeader:
          on_header(ev.header);
          break;
        case Kind::kPayload:
          FLAKE_FUZZ_CHECK(ev.payload.data() == before && ev.payload.size() == took);
          on_payload(ev, offset);
          break;
        case Kind::kFrameEnd:
          FLAKE_FUZZ_CHECK(took == 0);
          on_frame_end(ev.header);
          break;
        case Kind::kError:
          // Errors are found on the header's second or third byte, never inside a payload.
          FLAKE_FUZZ_CHECK(!in_frame_ && took >= 1);
          FLAKE_FUZZ_CHECK(
              trace_.consumed - frame_start_ == 2 ||
              (trace_.consumed - frame_start_ == 3 && ev.error == FrameError::kBadLength));
          check_error(ev.error);
          trace_.error = ev.error;
          trace_.error_header = ev.header;
          break;
      }
    }
  }

  // The header bytes of the current frame, decoded independently of the reader.
  std::span<const uint8_t> header_bytes() const {
    return stream_.subspan(frame_start_, trace_.consumed - frame_start_);
  }

  void check_error(FrameError e) {
    const std::span<const uint8_t> h = header_bytes();
    const uint8_t op = h[0] & 0x0F;
    const bool control = op >= 0x8;
    switch (e) {
      case FrameError::kUnmasked:
        FLAKE_FUZZ_CHECK((h[1] & 0x80) == 0 && !options_.leniency.unmasked_accepted);
        break;
      case FrameError::kReservedBits:
        FLAKE_FUZZ_CHECK((h[0] & 0x70) != 0 && !options_.leniency.reserved_bits_ignored);
        break;
      case FrameError::kUnknownOpcode:
        FLAKE_FUZZ_CHECK(!known_opcode(op));
        break;
      case FrameError::kFragmentedControl:
        FLAKE_FUZZ_CHECK(control && (h[0] & 0x80) == 0);
        break;
      case FrameError::kControlTooLong:
        FLAKE_FUZZ_CHECK(control && (h[1] & 0x7F) > 125);
        break;
      case FrameError::kBadLength:
        FLAKE_FUZZ_CHECK(h.size() == 3 && (h[1] & 0x7F) == 127 && (h[2] & 0x80) != 0);
        break;
      case FrameError::kUnexpectedContinuation:
        FLAKE_FUZZ_CHECK(op == 0 && !in_message_);
        break;
      case FrameError::kExpectedContinuation:
        FLAKE_FUZZ_CHECK((op == 1 || op == 2) && in_message_);
        break;
    }
    FLAKE_FUZZ_CHECK(!describe(e).empty() && describe(e).size() <= 60);
  }

  void on_header(const FrameHeader& header) {
    FLAKE_FUZZ_CHECK(!in_frame_);
    const std::span<const uint8_t> h = header_bytes();
    FLAKE_FUZZ_CHECK(h.size() >= 2 && h.size() <= FrameReader::kMaxHeaderSize);
    const bool masked = (h[1] & 0x80) != 0;
    const uint8_t len7 = h[1] & 0x7F;
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    FLAKE_FUZZ_CHECK(h.size() == 2 + ext + (masked ? 4 : 0));
    uint64_t length = len7;
    if (ext > 0) {
      length = 0;
      for (std::size_t i = 0; i < ext; ++i) length = length << 8 | h[2 + i];
    }
    FLAKE_FUZZ_CHECK(header.length == length && (length >> 63) == 0);
    FLAKE_FUZZ_CHECK(header.fin == ((h[0] & 0x80) != 0) && header.opcode == (h[0] & 0x0F));
    FLAKE_FUZZ_CHECK(masked || options_.leniency.unmasked_accepted);
    if (options_.leniency.reserved_bits_ignored) {
      FLAKE_FUZZ_CHECK(!header.rsv1 || (h[0] & 0x40) != 0);
    } else {
      FLAKE_FUZZ_CHECK((h[0] & 0x30) == 0 && header.rsv1 == ((h[0] & 0x40) != 0));
    }
    // RFC 6455 §5.2-§5.5 and RFC 7692 §6 for every header let through.
    FLAKE_FUZZ_CHECK(known_opcode(header.opcode));
    const bool control = header.is_control();
    FLAKE_FUZZ_CHECK(!control || (header.fin && header.length <= 125));
    FLAKE_FUZZ_CHECK(!header.rsv1 || (options_.rsv1_allowed && !control && header.opcode != 0));
    if (!control) {
      FLAKE_FUZZ_CHECK((header.opcode == 0) == in_message_);
      in_message_ = !header.fin;
    }
    FLAKE_FUZZ_CHECK(reader_.in_message() == in_message_);

    if (masked) std::copy(h.end() - 4, h.end(), mask_.begin());
    masked_ = masked;
    payload_start_ = trace_.consumed;
    in_frame_ = true;
    trace_.frames.push_back(Frame{header, {}, false});
    if (!control && header.opcode != 0) {
      compressed_ = header.rsv1;
      if (compressed_) trace_.messages.emplace_back();
    }
  }

  void on_payload(const FrameEvent& ev, std::size_t offset) {
    FLAKE_FUZZ_CHECK(in_frame_);
    Frame& frame = trace_.frames.back();
    FLAKE_FUZZ_CHECK(same(ev.header, frame.header));
    FLAKE_FUZZ_CHECK(!ev.payload.empty());
    FLAKE_FUZZ_CHECK(frame.payload.size() + ev.payload.size() <= frame.header.length);
    for (std::size_t i = 0; i < ev.payload.size(); ++i) {
      const std::size_t at = offset + i;
      const uint8_t key = masked_ ? mask_[(at - payload_start_) % 4] : 0;
      FLAKE_FUZZ_CHECK(ev.payload[i] == (stream_[at] ^ key));
    }
    frame.payload.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
    if (!frame.header.is_control() && compressed_) {
      Message& message = trace_.messages.back();
      inflated(message, inflater_.feed(ev.payload, message.out, kInflateLimit));
    }
  }

  void on_frame_end(const FrameHeader& header) {
    FLAKE_FUZZ_CHECK(in_frame_);
    Frame& frame = trace_.frames.back();
    FLAKE_FUZZ_CHECK(same(header, frame.header));
    FLAKE_FUZZ_CHECK(frame.payload.size() == frame.header.length);
    frame.ended = true;
    in_frame_ = false;
    frame_start_ = trace_.consumed;
    if (!header.is_control() && header.fin && compressed_) {
      Message& message = trace_.messages.back();
      inflated(message, inflater_.finish(message.out, kInflateLimit));
      message.finished = true;
    }
  }

  void inflated(Message& message, InflateStatus status) {
    FLAKE_FUZZ_CHECK(message.out.size() <= kInflateLimit + 1);
    // kTooBig and kCorrupt are final for the connection.
    if (inflate_failed_) FLAKE_FUZZ_CHECK(status == *inflate_failed_);
    if (status != InflateStatus::kOk) inflate_failed_ = status;
    message.status = status;
  }

  const Options& options_;
  std::span<const uint8_t> stream_;
  FrameReader reader_;
  Inflater inflater_;
  Trace trace_;

  std::size_t frame_start_ = 0;    // stream offset of the current frame's first header byte
  std::size_t payload_start_ = 0;  // stream offset of the current frame's first payload byte
  bool in_frame_ = false;          // between kHeader and kFrameEnd
  bool in_message_ = false;        // a fragmented data message is open (our own model)
  bool compressed_ = false;        // the current data message has RSV1
  bool masked_ = false;
  std::array<uint8_t, 4> mask_{};
  std::optional<InflateStatus> inflate_failed_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Options options;
  options.rsv1_allowed = (data[0] & 0x01) != 0;
  options.leniency.unmasked_accepted = (data[0] & 0x02) != 0;
  options.leniency.reserved_bits_ignored = (data[0] & 0x04) != 0;
  options.deflate.client_no_context_takeover = (data[0] & 0x40) != 0;
  const std::size_t seeded = kPieceSizes[(data[0] >> 3) & 7];
  const std::span<const uint8_t> stream(data + 1, size - 1);

  const Trace whole = Pass(options, stream).run();
  for (const std::size_t piece : {std::size_t{1}, seeded}) {
    options.piece = piece;
    FLAKE_FUZZ_CHECK(same(Pass(options, stream).run(), whole));
  }
  return 0;
}
