// MaskRewriter: a byte-wise walk over client frames, headers first, then masked payload.
#include "conformance/client/mask_stream.hpp"

namespace flake::conform {

void MaskRewriter::header_byte(std::uint8_t in, std::string& out) {
  const std::size_t at = have_;
  header_[have_++] = in;
  if (at == 1) {
    masked_ = (in & 0x80) != 0;
    const std::uint8_t len7 = in & 0x7F;
    need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked_ ? 4 : 0);
  }
  const std::size_t key_at = need_ >= 6 ? need_ - 4 : need_;
  if (at >= 2 && masked_ && at >= key_at) {
    if (at == key_at) new_key_ = keys_();
    old_key_[at - key_at] = in;
    out.push_back(static_cast<char>(new_key_[at - key_at]));
  } else {
    out.push_back(static_cast<char>(in));
  }
  if (have_ < need_) return;
  const std::uint8_t len7 = header_[1] & 0x7F;
  std::uint64_t length = len7;
  const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  if (ext != 0) {
    length = 0;
    for (std::size_t i = 0; i < ext; ++i) length = (length << 8) | header_[2 + i];
  }
  if (!masked_) {
    old_key_ = {};
    new_key_ = {};
  }
  left_ = length;
  offset_ = 0;
  plain_.clear();
  in_payload_ = true;
  if (left_ == 0) finish_frame();
}

void MaskRewriter::finish_frame() {
  if (frames_) frames_(header_[0] & 0x0F, (header_[0] & 0x80) != 0, plain_);
  plain_.clear();
  in_payload_ = false;
  have_ = 0;
  need_ = 2;
}

std::string MaskRewriter::rewrite(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) {
    const auto in = static_cast<std::uint8_t>(c);
    if (!in_payload_) {
      header_byte(in, out);
      continue;
    }
    const std::uint8_t plain = in ^ old_key_[offset_ % 4];
    out.push_back(static_cast<char>(plain ^ new_key_[offset_ % 4]));
    if (frames_) plain_.push_back(static_cast<char>(plain));
    ++offset_;
    if (--left_ == 0) finish_frame();
  }
  return out;
}

}  // namespace flake::conform
