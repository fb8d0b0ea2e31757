// Bytes framed for one socket and not yet taken by it: small frames copied into batches, large
// payloads referenced where they already are, all written with one sendmsg() per flush.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace flake::ws {

using SharedBytes = std::shared_ptr<const std::string>;

class SendBuffer {
 public:
  // Copies `bytes` to the end (into the last batch while it has room).
  void append_copy(std::string_view bytes);
  // Appends `piece`, which lies inside *owner, without copying it; owner stays alive until sent.
  void append_shared(SharedBytes owner, std::string_view piece);

  bool empty() const { return segments_.empty(); }
  size_t size() const { return bytes_; }

  enum class Flush { kDone, kBlocked, kFailed };
  // Sends as much as `fd` takes now (non-blocking): kDone when everything left, kBlocked when the
  // socket is full (the rest stays), kFailed when the connection is broken.
  Flush flush(int fd);
  // Same, with the syscall given (tests feed partial and failing writes through it).
  using SendFn = ssize_t (*)(int fd, const ::iovec* iov, int count, void* context);
  Flush flush_with(int fd, SendFn send, void* context);

 private:
  struct Segment {
    SharedBytes shared;     // null: the bytes are `own`, from `sent` on
    std::string_view view;  // shared: the unsent bytes inside *shared
    std::string own;
    size_t sent = 0;

    std::string_view unsent() const { return shared ? view : std::string_view(own).substr(sent); }
  };
  void consume(size_t sent);

  std::deque<Segment> segments_;
  size_t bytes_ = 0;
  std::string spare_;  // a sent batch's storage, kept for the next batch (no allocation per flush)
};

}  // namespace flake::ws
