// Relay buffers and their non-blocking send (see relay_buffer.hpp).
#include "reference/tls/relay_buffer.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace flake::tls {

namespace {
// An idle link keeps no more than this much capacity.
constexpr size_t kKeptCapacity = 64 * 1024;
}  // namespace

void RelayBuffer::append(std::span<const uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void RelayBuffer::consume(size_t n) {
  head_ += n;
  if (head_ >= bytes_.size()) {
    bytes_.clear();
    head_ = 0;
    if (bytes_.capacity() > kKeptCapacity) bytes_.shrink_to_fit();
  } else if (head_ >= kKeptCapacity && head_ * 2 >= bytes_.size()) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

SendResult send_pending(int fd, RelayBuffer& buffer) {
  while (!buffer.empty()) {
    const std::span<const uint8_t> bytes = buffer.pending();
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      buffer.consume(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return SendResult::kPartial;
    return SendResult::kFailed;
  }
  return SendResult::kAll;
}

}  // namespace flake::tls
