// EntryRuns: runs of emitted entries, matched by their next expected n.
#include "conformance/soak/entry_runs.hpp"

namespace flake::conform::soak {

bool EntryRuns::observe(std::int64_t n) {
  if (n < 0 || n >= count_) return false;
  if (n > 0) {
    // Prefer continuing a run over starting one: runs are only told apart by how far they got.
    auto it = open_.find(n);
    if (it == open_.end()) return false;
    if (--it->second == 0) open_.erase(it);
  }
  if (n + 1 == count_) {
    ++complete_;
  } else {
    ++open_[n + 1];
  }
  return true;
}

std::uint64_t EntryRuns::open() const {
  std::uint64_t n = 0;
  for (const auto& [next, runs] : open_) n += runs;
  return n;
}

}  // namespace flake::conform::soak
