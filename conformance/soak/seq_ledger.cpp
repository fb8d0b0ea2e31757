// SeqLedger: the exactly-once-in-order bookkeeping of one session's notifications.
#include "conformance/soak/seq_ledger.hpp"

#include <utility>

namespace flake::conform::soak {

Seen SeqLedger::observe(std::int64_t seq) {
  if (seq == last_ + 1) {
    last_ = seq;
    ++delivered_;
    return Seen::kNext;
  }
  if (seq <= last_) {
    ++duplicates_;
    return Seen::kDuplicate;
  }
  if (resumed_from_ == last_) {
    // §6.2h: the replay jumps where the live stream did: the sidecar no longer has them.
    losses_.push_back({.after = last_,
                       .count = seq - last_ - 1,
                       .allowed = false,
                       .why = "the replay after session.resume skipped them again"});
    resumed_from_ = -1;
    last_ = seq;
    ++delivered_;
    return Seen::kLost;
  }
  resumed_from_ = last_;
  return Seen::kJump;
}

void SeqLedger::session_lost(bool allowed, std::string why) {
  losses_.push_back({.after = last_, .count = -1, .allowed = allowed, .why = std::move(why)});
  reset();
}

std::uint64_t SeqLedger::disallowed_lost() const {
  std::uint64_t n = 0;
  for (const Loss& l : losses_) {
    if (!l.allowed) n += l.count < 0 ? 1 : static_cast<std::uint64_t>(l.count);
  }
  return n;
}

}  // namespace flake::conform::soak
