// The run loop: a case's exceptions become its outcome; a dead sidecar ends the run honestly.
#include "conformance/harness/runner.hpp"

#include "conformance/client/sidecar_process.hpp"

#include <exception>
#include <utility>

namespace flake::conform {

namespace {

// Runs `c` once on the target as it stands, recording into `log`. A sidecar that is already gone
// (`dead` set) fails the case without running it; one that exits under it sets `dead`.
Attempt run_once(const Case& c, Target& target, WireLog& log, std::string& dead) {
  const auto start = Clock::now();
  Attempt a;
  if (!dead.empty()) {
    a.outcome = fail("a running sidecar", dead);
  } else {
    CaseContext ctx(target, log, start + c.budget, c.path);
    // A case may restart the sidecar, so the process is looked up afresh after each case.
    try {
      a.outcome = c.run(ctx);
    } catch (const OutcomeError& e) {
      a.outcome = e.outcome;
    } catch (const std::exception& e) {
      a.outcome =
          fail("the case to run to completion", std::string("harness exception: ") + e.what());
    }
    SidecarProcess* process = target.process;
    if (process != nullptr && !c.stops_sidecar && !process->running()) {
      const ExitInfo how = process->exit_info().value_or(ExitInfo{});
      dead = "the sidecar process exited during case " + c.id + " (" +
             (how.exited ? "exit status " + std::to_string(how.code)
                         : "signal " + std::to_string(how.signal)) +
             ")";
      std::string tail = process->output_tail();
      if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
      log.note("sidecar output before it exited:\n" + tail);
      if (a.outcome.status != Status::Fail) a.outcome = fail("the sidecar to keep running", dead);
    }
  }
  a.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  a.wire = log.lines();
  a.wire_dropped = log.dropped();
  return a;
}

// A failure worth a second run: a wall-clock bar missed on a busy machine. Not when the sidecar
// is gone (the rerun could only fail the same way) or was stopped on purpose (the case cannot
// run twice), nor for an expected failure, which does not fail the run anyway. A case that
// restarts the sidecar (10.8/1) is rerun: its restart leaves a running process like the first.
bool worth_rerun(const Case& c, const Outcome& first, const RunConfig& config, bool expected,
                 const std::string& dead) {
  return config.rerun && first.status == Status::Fail && timing_dependent(c) && !c.stops_sidecar &&
         dead.empty() && !expected;
}

}  // namespace

bool passed_on_rerun(const CaseResult& r) {
  return r.first_attempt.has_value() && r.outcome.status == Status::Pass;
}

std::vector<CaseResult> run_cases(const std::vector<const Case*>& cases, Target& target,
                                  const RunConfig& config, ProgressSink& progress) {
  std::vector<CaseResult> results;
  std::string dead;
  bool perf_process = false;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = *cases[i];
    progress.case_started(c, i, cases.size());
    CaseResult result;
    result.c = &c;
    for (const auto& selector : config.expected_failures) {
      if (selector_matches(selector, c)) result.expected_failure = true;
    }
    WireLog log;
    // §10.1: the PERF group measures a process of its own, started for it, rather than one that
    // has run every other case (16 MiB messages, exports, replays).
    if (group_of(c) == Group::Performance && !perf_process && dead.empty() && target.replace) {
      perf_process = true;
      const long before_kib = target.process != nullptr ? target.process->rss_kib() : 0;
      std::string why;
      if (!target.replace(SidecarSetup::kPerformance, why)) {
        dead = "a fresh sidecar process for the PERF group: " + why;
      } else if (target.process != nullptr) {
        log.note("a fresh sidecar process (pid " + std::to_string(target.process->pid()) +
                 ") for the PERF group; the one that ran the other cases held " +
                 std::to_string(before_kib / 1024) + " MiB");
      }
    }
    Attempt attempt = run_once(c, target, log, dead);
    if (worth_rerun(c, attempt.outcome, config, result.expected_failure, dead)) {
      // At once, on the same process (the PERF group's own, for a PERF case), with a wire log of
      // its own; the second outcome counts, and the first stays in the result.
      progress.case_rerun(c);
      WireLog again;
      again.note("run again: a timing-dependent case that failed once (--no-rerun: not rerun)");
      Attempt second = run_once(c, target, again, dead);
      second.duration += attempt.duration;
      result.first_attempt = std::exchange(attempt, std::move(second));
    }
    result.outcome = std::move(attempt.outcome);
    result.wire = std::move(attempt.wire);
    result.wire_dropped = attempt.wire_dropped;
    result.duration = attempt.duration;
    results.push_back(std::move(result));
    progress.case_finished(results.back(), i, cases.size());
  }
  return results;
}

Tally tally(const std::vector<CaseResult>& results) {
  Tally t;
  for (const auto& r : results) {
    switch (r.outcome.status) {
      case Status::Pass:
        ++t.passed;
        if (passed_on_rerun(r)) ++t.passed_on_rerun;
        if (r.expected_failure) ++t.unexpected_passes;
        break;
      case Status::Fail:
        if (r.expected_failure) {
          ++t.expected_failures;
        } else {
          ++t.failed;
          if (r.c->tier == Tier::Should) ++t.should_failures;
        }
        break;
      case Status::Unimplemented:
        ++t.unimplemented;
        break;
      case Status::Skipped:
        ++t.skipped;
        break;
    }
  }
  return t;
}

bool run_fails(const Tally& t, bool strict) {
  if (t.failed > t.should_failures || t.unexpected_passes > 0) return true;
  return strict && (t.should_failures > 0 || t.unimplemented > 0);
}

bool fails_run(const CaseResult& r, bool strict) {
  switch (r.outcome.status) {
    case Status::Pass:
      return r.expected_failure;
    case Status::Fail:
      return !r.expected_failure && (r.c->tier != Tier::Should || strict);
    case Status::Unimplemented:
      return strict;
    case Status::Skipped:
      return false;
  }
  return false;
}

}  // namespace flake::conform
