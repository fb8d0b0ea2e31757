// PackedEntries (see packed_entries.hpp): pieces of shared or owned storage, coalesced where the
// entries lie back to back.
#include "reference/rpc/packed_entries.hpp"

#include <utility>

namespace flake {

PackedEntries::PackedEntries(std::string bytes, std::vector<size_t> ends)
    : own_(std::move(bytes)), own_end_(own_.size()), ends_(std::move(ends)) {
  if (!own_.empty()) pieces_.push_back({kOwn, 0, own_.size(), own_.size()});
}

void PackedEntries::end_own() {
  const size_t begin = std::exchange(own_end_, own_.size());
  add_piece(kOwn, begin, own_end_ - begin);
}

std::string_view PackedEntries::entry(size_t i) const {
  std::string_view out;
  visit(start(i), ends_[i], [&out](std::string_view run) { out = run; });
  return out;
}

void PackedEntries::append_to(std::string& out, size_t begin, size_t end) const {
  visit(begin, end, [&out](std::string_view run) { out += run; });
}

std::string PackedEntries::flat() const {
  std::string out;
  out.reserve(size());
  append_to(out, 0, size());
  return out;
}

size_t PackedEntries::shared_piece_count() const {
  return static_cast<size_t>(std::count_if(pieces_.begin(), pieces_.end(),
                                           [](const Piece& p) { return p.source != kOwn; }));
}

}  // namespace flake
