// Whether the entries of every test.emitLogs call reach a subscription whole (docs/protocol.md
// §11.2c, §11.2d): each call produces entries n = 0 … count−1, so what a subscription receives is
// a set of interleaved runs that must each go 0, 1, … count−1 without a hole or a repeat.
#pragma once

#include <cstdint>
#include <map>

namespace flake::conform::soak {

class EntryRuns {
 public:
  explicit EntryRuns(int count) : count_(count) {}

  // An entry of test.emitLogs with its "n". False when it continues no run that is open: an entry
  // before it went missing (the run nearest below it goes on from here, so one hole is one false),
  // it came twice, or the subscription began in the middle of a run (the caller tells those apart;
  // the run is adopted, so its later entries continue it).
  bool observe(std::int64_t n);
  // The session was lost in a way the spec allows: runs it had open may stay incomplete.
  void forget() {
    whole_.clear();
    broken_.clear();
  }

  // Runs that reached their last entry without a hole.
  std::uint64_t complete() const { return complete_; }
  // Runs still waiting for their next entry.
  std::uint64_t open() const;

 private:
  using Runs = std::map<std::int64_t, std::uint64_t>;  // next n expected -> how many runs expect it
  static bool take(Runs& runs, std::int64_t next);
  void advance(Runs& runs, std::int64_t n, bool whole);

  int count_;
  Runs whole_;   // runs without a hole so far
  Runs broken_;  // runs that had a hole, or were joined in the middle
  std::uint64_t complete_ = 0;
};

}  // namespace flake::conform::soak
