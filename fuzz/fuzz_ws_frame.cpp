// Target: the harness's RFC 6455 frame decoder (FrameDecoder, conformance/ws_frame.hpp), which
// reads every byte a sidecar sends. Input: one option byte (bit 0: expect masked client frames;
// bits 1-3: allowed RSV bits; bit 4: a 125-byte payload limit), then the byte stream.
// Properties: the frames and the error do not depend on how the stream is split, and every decoded
// frame encodes back to bytes that decode to the same frame.
#include <vector>

#include "conformance/client/ws_frame.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace flake::conform;

struct Decoded {
  std::vector<Frame> frames;
  FrameDecoder::Status last = FrameDecoder::Status::Incomplete;
  FrameError error = FrameError::None;
};

bool same(const Frame& a, const Frame& b) {
  return a.fin == b.fin && a.rsv == b.rsv && a.opcode == b.opcode && a.masked == b.masked &&
         a.payload == b.payload;
}

// Feeds `bytes` in pieces of at most `piece` bytes (0: all at once).
Decoded decode(const DecoderOptions& options, std::string_view bytes, std::size_t piece) {
  Decoded d;
  FrameDecoder decoder(options);
  Frame frame;
  while (!bytes.empty()) {
    std::string_view part = piece == 0 ? bytes : bytes.substr(0, piece);
    while (!part.empty()) {
      const FrameDecoder::Result r = decoder.feed(part, frame);
      FLAKE_FUZZ_CHECK(r.consumed <= part.size());
      part.remove_prefix(r.consumed);
      bytes.remove_prefix(r.consumed);
      d.last = r.status;
      if (r.status == FrameDecoder::Status::Error) {
        d.error = r.error;
        FLAKE_FUZZ_CHECK(r.error != FrameError::None);
        // Errors are sticky.
        FLAKE_FUZZ_CHECK(decoder.feed(bytes, frame).status == FrameDecoder::Status::Error);
        return d;
      }
      if (r.status == FrameDecoder::Status::Frame) {
        d.frames.push_back(frame);
        frame = Frame{};
      } else {
        FLAKE_FUZZ_CHECK(part.empty());  // Incomplete means every byte given was taken
      }
    }
  }
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  DecoderOptions options;
  options.expect_masked = (data[0] & 1) != 0;
  options.allowed_rsv = static_cast<std::uint8_t>((data[0] >> 1) & 7);
  if ((data[0] & 0x10) != 0) options.max_payload = 125;
  const std::string_view stream = flake::fuzz::as_text(data + 1, size - 1);

  const Decoded whole = decode(options, stream, 0);
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}}) {
    const Decoded split = decode(options, stream, piece);
    FLAKE_FUZZ_CHECK(split.frames.size() == whole.frames.size());
    for (std::size_t i = 0; i < whole.frames.size(); ++i) {
      FLAKE_FUZZ_CHECK(same(split.frames[i], whole.frames[i]));
    }
    FLAKE_FUZZ_CHECK(split.error == whole.error);
  }
  for (const Frame& f : whole.frames) {
    FLAKE_FUZZ_CHECK(is_known_opcode(f.opcode));
    FLAKE_FUZZ_CHECK(f.payload.size() <= options.max_payload);
    FLAKE_FUZZ_CHECK(!is_control_opcode(f.opcode) ||
                     (f.fin && f.payload.size() <= kMaxControlPayload));
    FrameSpec spec;
    spec.opcode = f.opcode;
    spec.fin = f.fin;
    spec.rsv = f.rsv;
    spec.masked = f.masked;
    spec.mask_key = std::array<std::uint8_t, 4>{0x12, 0x34, 0x56, 0x78};
    const Decoded again = decode(options, encode_frame(spec, f.payload), 0);
    FLAKE_FUZZ_CHECK(again.frames.size() == 1 && same(again.frames[0], f));
    FLAKE_FUZZ_CHECK(again.last == FrameDecoder::Status::Frame);
  }
  return 0;
}
