// The bytes one direction of a TLS link holds between a read and the write that takes them: a
// bounded queue, so a slow reader on one side stops the reads on the other (tls/README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace flake::tls {

class RelayBuffer {
 public:
  explicit RelayBuffer(size_t bound) : bound_(bound) {}
  // Takes every byte, even past the bound: the bound says when to stop reading, not what to drop.
  void append(std::span<const uint8_t> bytes);
  std::span<const uint8_t> pending() const { return std::span(bytes_).subspan(head_); }
  void consume(size_t n);
  size_t size() const { return bytes_.size() - head_; }
  bool empty() const { return size() == 0; }
  bool full() const { return size() >= bound_; }
  size_t room() const { return full() ? 0 : bound_ - size(); }

 private:
  std::vector<uint8_t> bytes_;
  size_t head_ = 0;
  size_t bound_;
};

enum class SendResult { kAll, kPartial, kFailed };
// Sends what `buffer` holds on the non-blocking socket `fd` until it is empty or the socket full.
SendResult send_pending(int fd, RelayBuffer& buffer);

}  // namespace flake::tls
