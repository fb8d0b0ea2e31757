// EntryRuns: runs of emitted entries, matched by their next expected n.
#include "conformance/soak/entry_runs.hpp"

namespace flake::conform::soak {

bool EntryRuns::take(Runs& runs, std::int64_t next) {
  const auto it = runs.find(next);
  if (it == runs.end()) return false;
  if (--it->second == 0) runs.erase(it);
  return true;
}

void EntryRuns::advance(Runs& runs, std::int64_t n, bool whole) {
  if (n + 1 < count_) {
    ++runs[n + 1];
  } else if (whole) {
    ++complete_;
  }
}

bool EntryRuns::observe(std::int64_t n) {
  if (n < 0 || n >= count_) return false;
  // Prefer continuing a run over starting one: runs are only told apart by how far they got.
  if (n == 0 || take(whole_, n)) {
    advance(whole_, n, true);
    return true;
  }
  if (take(broken_, n)) {
    advance(broken_, n, false);
    return true;
  }
  // A hole: the run that got furthest below n goes on from here.
  std::int64_t best = -1;
  for (const Runs* runs : {&whole_, &broken_}) {
    const auto it = runs->lower_bound(n);
    if (it != runs->begin() && std::prev(it)->first > best) best = std::prev(it)->first;
  }
  if (best >= 0 && !take(whole_, best)) take(broken_, best);
  advance(broken_, n, false);
  return false;
}

std::uint64_t EntryRuns::open() const {
  std::uint64_t n = 0;
  for (const Runs* runs : {&whole_, &broken_}) {
    for (const auto& [next, count] : *runs) n += count;
  }
  return n;
}

}  // namespace flake::conform::soak
