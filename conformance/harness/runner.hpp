// Runs selected cases one after another, each with its own connections, wire log and budget,
// and notices when a spawned sidecar dies under a case.
#pragma once

#include "conformance/harness/case_context.hpp"
#include "conformance/harness/catalog.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform {

// One run of a case: what it found and what went over the wire meanwhile.
struct Attempt {
  Outcome outcome;
  std::vector<std::string> wire;
  std::size_t wire_dropped = 0;
  std::chrono::milliseconds duration{0};
};

struct CaseResult {
  const Case* c = nullptr;
  Outcome outcome;                // of the attempt that counts: the rerun, when there was one
  bool expected_failure = false;  // listed in --expected-failures
  std::vector<std::string> wire;
  std::size_t wire_dropped = 0;
  std::chrono::milliseconds duration{0};  // of both attempts, when there were two
  // A timing-dependent case that failed and ran again at once: the failed first attempt, which the
  // reports show beside the one that counts ("failed, passed on rerun" or "failed twice").
  std::optional<Attempt> first_attempt;
};

// The case failed once and passed when it ran again.
bool passed_on_rerun(const CaseResult& r);

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void case_started(const Case& c, std::size_t index, std::size_t total) = 0;
  virtual void case_finished(const CaseResult& result, std::size_t index, std::size_t total) = 0;
  // A timing-dependent case that failed starts its second attempt, whose outcome is the one that
  // counts: what a sink gathered since case_started belongs to the first.
  virtual void case_rerun(const Case&) {}
};

struct RunConfig {
  std::vector<std::string> expected_failures;  // selectors
  // A failed timing-dependent case runs again once, and the second outcome counts (--no-rerun:
  // off). Not a case that stops the sidecar, nor one under which it died, nor an expected failure.
  bool rerun = true;
};

std::vector<CaseResult> run_cases(const std::vector<const Case*>& cases, Target& target,
                                  const RunConfig& config, ProgressSink& progress);

struct Tally {
  std::size_t passed = 0;
  std::size_t failed = 0;             // not counting expected failures
  std::size_t should_failures = 0;    // those of `failed` in the SHOULD tier (Appendix A)
  std::size_t expected_failures = 0;  // failed as expected
  std::size_t unexpected_passes = 0;  // listed as expected to fail, but passed
  std::size_t unimplemented = 0;
  std::size_t skipped = 0;
  std::size_t passed_on_rerun = 0;  // of `passed`: failed once, passed when run again
};
Tally tally(const std::vector<CaseResult>& results);

// Appendix A and --expected-failures, the one rule for exit status 1 that every report follows: a
// MUST or PERF failure fails the run; a SHOULD failure or an unimplemented case only with
// --strict; an expected failure does not, and a case listed as one that passes does (the list
// must not go stale).
bool run_fails(const Tally& t, bool strict);
// The same rule for one case: whether its outcome alone fails the run.
bool fails_run(const CaseResult& r, bool strict);

}  // namespace flake::conform
