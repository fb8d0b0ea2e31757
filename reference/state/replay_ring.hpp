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

  uint64_t oldest_seq() const;  // 0 when empty
  uint64_t newest_seq() const;  // 0 when empty
  size_t size() const { return cold_items_ + items_.size(); }
  size_t bytes() const { return bytes_; }
  // Bytes the ring's compressed frames take (their compressed size), for tests and diagnostics.
  size_t packed_bytes() const;

  // Compresses the oldest frames that only the ring still holds, in blocks of up to kPackBytes;
  // the newest frame stays whole. A ring is kept for minutes and may hold its whole byte bound
  // (§7.2) while a replay is rare. Unless `force`, a ring that was pushed to since the last call
  // is left alone: a stream evicts most of its frames before they would be worth compressing.
  // Frames still queued for a socket stay as they are; a tail shared with other rings (one tail
  // for many subscribers) stays shared, uncompressed. Returns the bytes compressed (their memory is
  // freed).
  size_t pack_idle(bool force = true);
  static constexpr size_t kPackBytes = 128 * 1024;

 private:
  struct Item {
    uint64_t seq;
    ReplayFrame frame;
  };
  // Frames compressed together: their sizes in order, then the deflated concatenation of each
  // one's frame and tail. A tail other rings share stays shared (`shared_tail`) and out of the
  // deflated bytes. Evicted frames stay in `packed` until the whole block goes.
  struct PackedItem {
    uint64_t seq;
    uint32_t frame_size;
    uint32_t tail_size;
    bool binary;
    bool has_tail;
    SharedText shared_tail;
  };
  struct PackedBlock {
    std::vector<PackedItem> items;
    size_t first = 0;  // items before this one were evicted
    size_t raw_size = 0;
    std::string packed;
  };
  static size_t frame_size(const ReplayFrame& frame) {
    return (frame.frame ? frame.frame->size() : 0) + (frame.tail ? frame.tail->size() : 0);
  }
  // The head only the ring holds: no send queue has it any more (the tail may be shared).
  static bool idle(const ReplayFrame& frame) { return frame.frame.use_count() == 1; }
  void evict_oldest();
  bool pack_block();
  static void unpack(const PackedBlock& block, uint64_t last_seq, std::vector<ReplayFrame>& out);

  size_t max_items_;
  size_t max_bytes_;
  std::deque<PackedBlock> cold_;  // older than every item of items_
  size_t cold_items_ = 0;
  std::deque<Item> items_;
  size_t bytes_ = 0;
  size_t unpacked_bytes_ = 0;  // bytes of items_
  bool pushed_ = false;        // since the last pack_idle
  // The highest seq evicted: a resume from below it cannot be served.
  uint64_t evicted_through_ = 0;
};

}  // namespace flake
