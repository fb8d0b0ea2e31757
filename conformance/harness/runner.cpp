// The run loop: a case's exceptions become its outcome; a dead sidecar ends the run honestly.
#include "conformance/harness/runner.hpp"

#include "conformance/client/sidecar_process.hpp"

#include <exception>

namespace flake::conform {

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
    const auto start = Clock::now();
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
    if (!dead.empty()) {
      result.outcome = fail("a running sidecar", dead);
    } else {
      CaseContext ctx(target, log, start + c.budget, c.path);
      // A case may restart the sidecar, so the process is looked up afresh after each case.
      try {
        result.outcome = c.run(ctx);
      } catch (const OutcomeError& e) {
        result.outcome = e.outcome;
      } catch (const std::exception& e) {
        result.outcome =
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
        if (result.outcome.status != Status::Fail) {
          result.outcome = fail("the sidecar to keep running", dead);
        }
      }
    }
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    for (const auto& selector : config.expected_failures) {
      if (selector_matches(selector, c)) result.expected_failure = true;
    }
    result.wire = log.lines();
    result.wire_dropped = log.dropped();
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
