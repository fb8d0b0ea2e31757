// One session's notification counter as a soak client sees it across reconnects (docs/protocol.md
// §6.2, §7.3): every seq exactly once and in order, or a loss the spec allows and says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flake::conform::soak {

enum class Seen {
  kNext,       // seq == last + 1: delivered
  kDuplicate,  // seq <= last: delivered before (a finding: §7.3 replays only seq > lastSeq)
  kJump,       // seq > last + 1: notifications missing; the client resumes from last (§6.2)
  kLost,       // the replay after that resume jumps at the same place again: they are gone
};

// A loss the client accepted, and whether the spec allows it (§7.1 grace, §7.2 ring bound, a
// sidecar restart) or it counts against the sidecar.
struct Loss {
  std::int64_t after = 0;  // the last seq delivered before it
  std::int64_t count = 0;  // notifications missing (-1: unknown, the session ended)
  bool allowed = false;
  std::string why;
};

class SeqLedger {
 public:
  // A notification of this session, live or replayed.
  Seen observe(std::int64_t seq);
  // The sidecar answered session.resume with -32007: whatever followed last() is gone. `allowed`
  // and `why` say whether the spec permits it here. The next session counts from 1 (reset()).
  void session_lost(bool allowed, std::string why);
  // A fresh session (after session_lost): its counter starts at 1 again.
  void reset() {
    last_ = 0;
    resumed_from_ = -1;
  }

  std::int64_t last() const { return last_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t duplicates() const { return duplicates_; }
  const std::vector<Loss>& losses() const { return losses_; }
  // Notifications lost where the spec does not allow it (unknown counts count as one).
  std::uint64_t disallowed_lost() const;

 private:
  std::int64_t last_ = 0;
  std::int64_t resumed_from_ = -1;  // last_ when the latest jump was seen
  std::uint64_t delivered_ = 0;
  std::uint64_t duplicates_ = 0;
  std::vector<Loss> losses_;
};

}  // namespace flake::conform::soak
