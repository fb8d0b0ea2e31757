// The replay ring: frames ordered by seq, trimmed from the front, the older ones compressed in
// blocks once only the ring holds them. The highest evicted seq is kept so "too old to replay" is
// decided exactly, not guessed from the oldest seq held.
#include "reference/state/replay_ring.hpp"

#include "reference/codec/zlib_block.hpp"

#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <utility>

namespace flake {

namespace {

// Fewer idle bytes than this are left whole: not worth a block of their own.
constexpr size_t kMinPackBytes = 16 * 1024;

}  // namespace

ReplayRing::ReplayRing(size_t max_items, size_t max_bytes)
    : max_items_(max_items), max_bytes_(max_bytes) {}

uint64_t ReplayRing::oldest_seq() const {
  if (!cold_.empty()) return cold_.front().items[cold_.front().first].seq;
  return items_.empty() ? 0 : items_.front().seq;
}

uint64_t ReplayRing::newest_seq() const {
  if (!items_.empty()) return items_.back().seq;
  return cold_.empty() ? 0 : cold_.back().items.back().seq;
}

size_t ReplayRing::packed_bytes() const {
  size_t total = 0;
  for (const PackedBlock& block : cold_) total += block.packed.size();
  return total;
}

void ReplayRing::push(uint64_t seq, SharedText frame, bool binary, SharedText tail) {
  assert(frame != nullptr);
  if (size() > 0 && seq <= newest_seq()) {
    cold_.clear();
    cold_items_ = 0;
    items_.clear();
    bytes_ = 0;
    unpacked_bytes_ = 0;
    evicted_through_ = seq - 1;
  }
  pushed_ = true;
  items_.push_back(Item{seq, ReplayFrame{std::move(frame), binary, std::move(tail)}});
  const size_t added = frame_size(items_.back().frame);
  bytes_ += added;
  unpacked_bytes_ += added;
  while (size() > 1 && (size() > max_items_ || bytes_ > max_bytes_)) evict_oldest();
}

void ReplayRing::evict_oldest() {
  if (!cold_.empty()) {
    PackedBlock& block = cold_.front();
    PackedItem& item = block.items[block.first++];
    bytes_ -= item.frame_size + item.tail_size;
    evicted_through_ = item.seq;
    item.shared_tail.reset();
    --cold_items_;
    if (block.first == block.items.size()) cold_.pop_front();
    return;
  }
  const size_t size = frame_size(items_.front().frame);
  bytes_ -= size;
  unpacked_bytes_ -= size;
  evicted_through_ = items_.front().seq;
  items_.pop_front();
}

size_t ReplayRing::pack_idle(bool force) {
  const bool busy = std::exchange(pushed_, false);
  if (busy && !force) return 0;
  const size_t before = unpacked_bytes_;
  while (unpacked_bytes_ >= kMinPackBytes && pack_block()) {
  }
  return before - unpacked_bytes_;
}

bool ReplayRing::pack_block() {
  // The oldest idle frames, up to kPackBytes of what goes compressed (shared tails stay out); the
  // newest always stays whole. raw_size counts them as the bounds do, frame and tail.
  size_t count = 0;
  size_t raw_size = 0;
  size_t compressed_in = 0;
  while (count + 1 < items_.size() && compressed_in < kPackBytes && idle(items_[count].frame)) {
    const ReplayFrame& f = items_[count].frame;
    raw_size += frame_size(f);
    compressed_in += f.frame->size() + (f.tail && f.tail.use_count() == 1 ? f.tail->size() : 0);
    ++count;
  }
  if (raw_size < kMinPackBytes) return false;
  std::string raw;
  raw.reserve(compressed_in);
  PackedBlock block;
  block.items.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const Item& item = items_[i];
    const ReplayFrame& f = item.frame;
    const bool shared_tail = f.tail && f.tail.use_count() > 1;
    raw += *f.frame;
    if (f.tail && !shared_tail) raw += *f.tail;
    block.items.push_back(PackedItem{item.seq, static_cast<uint32_t>(f.frame->size()),
                                     static_cast<uint32_t>(f.tail ? f.tail->size() : 0), f.binary,
                                     f.tail != nullptr, shared_tail ? f.tail : nullptr});
  }
  std::optional<std::string> packed = zlib_compress(raw, Z_BEST_SPEED);
  if (!packed) return false;
  block.packed = std::move(*packed);
  block.raw_size = raw.size();
  cold_.push_back(std::move(block));
  cold_items_ += count;
  unpacked_bytes_ -= raw_size;
  items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(count));
  return true;
}

void ReplayRing::unpack(const PackedBlock& block, uint64_t last_seq,
                        std::vector<ReplayFrame>& out) {
  std::string raw;
  const bool inflated = zlib_uncompress(block.packed, block.raw_size, raw);
  // The ring compressed these bytes itself; anything else is memory corruption.
  assert(inflated);
  (void)inflated;
  size_t at = 0;
  for (size_t i = 0; i < block.items.size(); ++i) {
    const PackedItem& item = block.items[i];
    const size_t frame_at = at;
    at += item.frame_size + (item.shared_tail ? 0 : item.tail_size);
    if (i < block.first || item.seq <= last_seq) continue;
    ReplayFrame frame;
    frame.frame = std::make_shared<const std::string>(raw, frame_at, item.frame_size);
    frame.binary = item.binary;
    if (item.shared_tail) {
      frame.tail = item.shared_tail;
    } else if (item.has_tail) {
      frame.tail =
          std::make_shared<const std::string>(raw, frame_at + item.frame_size, item.tail_size);
    }
    out.push_back(std::move(frame));
  }
}

std::optional<std::vector<ReplayFrame>> ReplayRing::since(uint64_t last_seq) const {
  std::vector<ReplayFrame> frames;
  if (size() == 0 || last_seq >= newest_seq()) return frames;
  if (last_seq < evicted_through_) return std::nullopt;
  for (const PackedBlock& block : cold_) {
    if (block.items.back().seq > last_seq) unpack(block, last_seq, frames);
  }
  auto first = std::upper_bound(items_.begin(), items_.end(), last_seq,
                                [](uint64_t seq, const Item& item) { return seq < item.seq; });
  frames.reserve(frames.size() + static_cast<size_t>(items_.end() - first));
  for (auto it = first; it != items_.end(); ++it) frames.push_back(it->frame);
  return frames;
}

}  // namespace flake
