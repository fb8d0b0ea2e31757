// A bounded ring of a session's recent notification frames, replayed by session.resume so that a
// reconnecting client gets every notification it missed, with its original seq (protocol.md §7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flake {

// Frames are shared, never copied, between the ring and the send queues they are written from.
using SharedText = std::shared_ptr<const std::string>;

// A kept frame and whether it goes out as a binary (MessagePack) WebSocket frame. A notification
// is kept in two pieces, `frame` then `tail`: the tail (its params after seq) is one object shared
// by every recipient of a publish, so N subscribers do not hold N copies of the same entries.
struct ReplayFrame {
  SharedText frame;
  bool binary = false;
  SharedText tail;  // null: the frame is whole
};

class ReplayRing {
 public:
  // Bounded both by count and by bytes (frame sizes), so a burst of large notifications cannot grow
  // RSS without limit. The newest frame is always kept, even when it alone exceeds a bound.
  ReplayRing(size_t max_items, size_t max_bytes);

  // `seq` must be greater than newest_seq() (normally newest_seq() + 1). A seq that skips ahead is
  // kept: the skipped numbers were never pushed, so they are not a gap the ring lost. A seq that
  // does not increase is a caller bug; the ring then restarts at it, forgetting everything older.
  // The byte bound counts frame and tail, even though the tail's memory is shared.
  void push(uint64_t seq, SharedText frame, bool binary = false, SharedText tail = nullptr);

  // Frames with seq > last_seq, in order; an empty vector when last_seq >= newest_seq(); nullopt
  // when a frame with seq in (last_seq, newest] was pushed but has been evicted.
  std::optional<std::vector<ReplayFrame>> since(uint64_t last_seq) const;

  uint64_t oldest_seq() const { return items_.empty() ? 0 : items_.front().seq; }  // 0 when empty
  uint64_t newest_seq() const { return items_.empty() ? 0 : items_.back().seq; }   // 0 when empty
  size_t size() const { return items_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  struct Item {
    uint64_t seq;
    ReplayFrame frame;
  };
  static size_t frame_size(const ReplayFrame& frame) {
    return (frame.frame ? frame.frame->size() : 0) + (frame.tail ? frame.tail->size() : 0);
  }

  size_t max_items_;
  size_t max_bytes_;
  std::deque<Item> items_;
  size_t bytes_ = 0;
  // The highest seq evicted: a resume from below it cannot be served.
  uint64_t evicted_through_ = 0;
};

}  // namespace flake
