// The replay ring: a deque ordered by seq, trimmed from the front. The highest evicted seq is kept
// so "too old to replay" is decided exactly, not guessed from the oldest seq held.
#include "reference/state/replay_ring.hpp"

#include <algorithm>
#include <cassert>

namespace flake {

ReplayRing::ReplayRing(size_t max_items, size_t max_bytes)
    : max_items_(max_items), max_bytes_(max_bytes) {}

void ReplayRing::push(uint64_t seq, SharedText frame, bool binary, SharedText tail) {
  assert(frame != nullptr);
  if (!items_.empty() && seq <= items_.back().seq) {
    items_.clear();
    bytes_ = 0;
    evicted_through_ = seq - 1;
  }
  items_.push_back(Item{seq, ReplayFrame{std::move(frame), binary, std::move(tail)}});
  bytes_ += frame_size(items_.back().frame);
  while (items_.size() > 1 && (items_.size() > max_items_ || bytes_ > max_bytes_)) {
    bytes_ -= frame_size(items_.front().frame);
    evicted_through_ = items_.front().seq;
    items_.pop_front();
  }
}

std::optional<std::vector<ReplayFrame>> ReplayRing::since(uint64_t last_seq) const {
  std::vector<ReplayFrame> frames;
  if (items_.empty() || last_seq >= items_.back().seq) return frames;
  if (last_seq < evicted_through_) return std::nullopt;
  auto first = std::upper_bound(items_.begin(), items_.end(), last_seq,
                                [](uint64_t seq, const Item& item) { return seq < item.seq; });
  frames.reserve(static_cast<size_t>(items_.end() - first));
  for (auto it = first; it != items_.end(); ++it) frames.push_back(it->frame);
  return frames;
}

}  // namespace flake
