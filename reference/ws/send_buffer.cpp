// The socket's send buffer (see send_buffer.hpp).
#include "reference/ws/send_buffer.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace flake::ws {

namespace {

// Bytes one batch collects before a new one starts: a batch is one iovec, and a fresh batch after
// a partial send keeps the copied-from-the-front work small.
constexpr size_t kBatchBytes = 64 * 1024;
// Segments one sendmsg() takes; the socket rarely takes more than this many frames' worth anyway.
constexpr int kMaxIov = 64;

ssize_t send_socket(int fd, const ::iovec* iov, int count, void*) {
  msghdr message{};
  message.msg_iov = const_cast<::iovec*>(iov);
  message.msg_iovlen = static_cast<size_t>(count);
  return ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

void SendBuffer::append_copy(std::string_view bytes) {
  if (bytes.empty()) return;
  if (segments_.empty() || segments_.back().shared ||
      segments_.back().own.size() + bytes.size() > kBatchBytes) {
    segments_.emplace_back();
    segments_.back().own = std::move(spare_);
    spare_ = std::string();
    segments_.back().own.reserve(std::max(bytes.size(), size_t{4096}));
  }
  segments_.back().own.append(bytes);
  bytes_ += bytes.size();
}

void SendBuffer::append_shared(SharedBytes owner, std::string_view piece) {
  if (piece.empty()) return;
  Segment segment;
  segment.shared = std::move(owner);
  segment.view = piece;
  segments_.push_back(std::move(segment));
  bytes_ += piece.size();
}

void SendBuffer::consume(size_t sent) {
  bytes_ -= sent;
  while (sent > 0) {
    Segment& front = segments_.front();
    const size_t left = front.unsent().size();
    if (sent < left) {
      if (front.shared) {
        front.view.remove_prefix(sent);
      } else {
        front.sent += sent;
      }
      return;
    }
    sent -= left;
    if (!front.shared && front.own.capacity() <= kBatchBytes && spare_.capacity() == 0) {
      spare_ = std::move(front.own);
      spare_.clear();
    }
    segments_.pop_front();
  }
}

SendBuffer::Flush SendBuffer::flush(int fd) {
  return flush_with(fd, send_socket, nullptr);
}

SendBuffer::Flush SendBuffer::flush_with(int fd, SendFn send, void* context) {
  while (!segments_.empty()) {
    ::iovec iov[kMaxIov];
    int count = 0;
    for (const Segment& segment : segments_) {
      if (count == kMaxIov) break;
      const std::string_view bytes = segment.unsent();
      iov[count++] = {const_cast<char*>(bytes.data()), bytes.size()};
    }
    const ssize_t sent = send(fd, iov, count, context);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? Flush::kBlocked : Flush::kFailed;
    }
    consume(static_cast<size_t>(sent));
    // A short write means the socket is full: asking again now would only return EAGAIN.
    size_t offered = 0;
    for (int i = 0; i < count; ++i) offered += iov[i].iov_len;
    if (static_cast<size_t>(sent) < offered)
      return segments_.empty() ? Flush::kDone : Flush::kBlocked;
  }
  return Flush::kDone;
}

}  // namespace flake::ws
