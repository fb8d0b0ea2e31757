// Rewrites the mask keys of a client-to-server WebSocket frame stream as it passes, one write at a
// time: reproducers store frames with key 0 (payload in plain, so the token can be replaced by a
// placeholder), and replay masks them again with fresh keys.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace flake::conform {

using MaskKey = std::array<std::uint8_t, 4>;

// Follows frame headers by their declared lengths, as a server would, so a frame split over
// several writes, or a header that lies about its length, is rewritten the way the server reads
// it: the plaintext the server unmasks stays the same.
class MaskRewriter {
 public:
  // Called for each masked frame's new key.
  using KeySource = std::function<MaskKey()>;
  // Fed every frame completed by a write: opcode, fin, plain payload.
  using FrameSink = std::function<void(std::uint8_t opcode, bool fin, std::string_view payload)>;

  explicit MaskRewriter(KeySource keys, FrameSink frames = {})
      : keys_(std::move(keys)), frames_(std::move(frames)) {}

  // The same bytes with every mask key replaced and payloads re-masked.
  std::string rewrite(std::string_view bytes);

 private:
  void header_byte(std::uint8_t in, std::string& out);
  void finish_frame();

  KeySource keys_;
  FrameSink frames_;
  std::array<std::uint8_t, 14> header_{};
  std::size_t have_ = 0;
  std::size_t need_ = 2;
  bool in_payload_ = false;
  MaskKey old_key_{};
  MaskKey new_key_{};
  bool masked_ = false;
  std::uint64_t left_ = 0;
  std::uint64_t offset_ = 0;
  std::string plain_;  // the current frame's payload, for the sink (only when there is one)
};

}  // namespace flake::conform
