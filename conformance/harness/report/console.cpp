// Console output: one tree per group, a live "running" line on terminals, then failures and a
// closing "N passed, N failed" line.
#include "conformance/harness/report/report.hpp"

#include "conformance/harness/matrix.hpp"
#include "conformance/harness/report/text.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace flake::conform {
namespace {

const char* mark(Status status, bool utf8) {
  switch (status) {
    case Status::Pass:
      return utf8 ? "\u2714" : "ok";  // ✔
    case Status::Fail:
      return utf8 ? "\u00d7" : "FAIL";  // ×
    case Status::Unimplemented:
      return "!";
    case Status::Skipped:
      return "-";
  }
  return "?";
}

// The mark that opens a case's line: the ASCII ones differ in width, so they are padded to keep
// the IDs in one column.
std::string line_mark(Status status, bool utf8) {
  std::string m = mark(status, utf8);
  if (!utf8) m.resize(std::max<std::size_t>(m.size(), 4), ' ');
  return m;
}

const char* dash(bool utf8) {
  return utf8 ? " \u2014 " : " -- ";  // —
}

bool names_utf8(std::string_view value) {
  std::string lower;
  for (const char c : value) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return lower.find("utf-8") != std::string::npos || lower.find("utf8") != std::string::npos;
}

}  // namespace

bool locale_is_utf8(const char* lc_all, const char* lc_ctype, const char* lang) {
  for (const char* value : {lc_all, lc_ctype, lang}) {
    if (value != nullptr && *value != '\0') return names_utf8(value);
  }
  return false;
}

ConsoleFlags ConsoleFlags::resolve(std::FILE* out, bool verbose) {
  return ConsoleFlags(
      verbose, ::isatty(::fileno(out)) != 0,
      locale_is_utf8(std::getenv("LC_ALL"), std::getenv("LC_CTYPE"), std::getenv("LANG")));
}

ConsoleReport::ConsoleReport(std::FILE* out, ConsoleFlags flags) : out_(out), flags_(flags) {}

void ConsoleReport::case_started(const Case& c, std::size_t index, std::size_t total) {
  if (!group_ || *group_ != group_of(c)) {
    group_ = group_of(c);
    std::fprintf(out_, "%s\n", std::string(to_string(group_of(c))).c_str());
  }
  if (flags_.terminal()) {
    std::fprintf(out_, "  %s [%zu/%zu] %s %s\r", flags_.utf8() ? "\u2026" : "...", index + 1, total,
                 c.id.c_str(), c.requirement.substr(0, 60).c_str());
  }
  std::fflush(out_);
}

void ConsoleReport::case_finished(const CaseResult& r, std::size_t, std::size_t) {
  const Case& c = *r.c;
  const bool utf8 = flags_.utf8();
  if (flags_.terminal()) std::fprintf(out_, "\33[2K");
  std::string line = "  " + line_mark(r.outcome.status, utf8) + " " + c.id + " [" +
                     std::string(to_string(c.tier)) + "] " + c.requirement + " (" +
                     std::to_string(r.duration.count()) + " ms)";
  if (!r.outcome.detail.empty()) line += dash(utf8) + r.outcome.detail;
  if (passed_on_rerun(r)) {
    line += std::string(dash(utf8)) +
            "failed, passed on rerun (first: " + r.first_attempt->outcome.actual + ")";
  } else if (r.first_attempt && r.outcome.status == Status::Fail) {
    line += std::string(dash(utf8)) + "failed twice";
  } else if (r.first_attempt) {
    line += std::string(dash(utf8)) + "failed, then " + std::string(to_string(r.outcome.status)) +
            " on rerun";
  }
  if (r.outcome.status == Status::Unimplemented || r.outcome.status == Status::Skipped) {
    line += dash(utf8) + std::string(to_string(r.outcome.status)) + ": " + r.outcome.reason;
  }
  if (r.expected_failure) {
    line +=
        r.outcome.status == Status::Fail ? " (expected failure)" : " (listed as expected failure)";
  }
  std::fprintf(out_, "%s\n", line.c_str());
  if (flags_.verbose()) {
    for (const auto& w : r.wire) std::fprintf(out_, "      %s\n", w.c_str());
    if (r.wire_dropped > 0) {
      std::fprintf(out_, "      ... %s\n", counted(r.wire_dropped, "more line").c_str());
    }
  }
  std::fflush(out_);
}

void ConsoleReport::failures(const std::vector<CaseResult>& results) {
  bool any = false;
  for (const auto& r : results) {
    if (r.outcome.status != Status::Fail) continue;
    if (!any) std::fprintf(out_, "\nFailures:\n");
    any = true;
    std::fprintf(out_,
                 "\n  %s [%s, %s]%s\n    requirement: %s\n    rules:       %s\n"
                 "    expected:    %s\n    actual:      %s\n",
                 r.c->id.c_str(), std::string(to_string(r.c->tier)).c_str(),
                 std::string(to_string(group_of(*r.c))).c_str(),
                 r.expected_failure ? " (expected failure)" : "", r.c->requirement.c_str(),
                 rules_text(*r.c, flags_.utf8() ? "\u00a7" : "").c_str(),  // §
                 r.outcome.expected.c_str(), r.outcome.actual.c_str());
    if (r.first_attempt) {
      // Both attempts: the rerun hides nothing.
      std::fprintf(out_,
                   "    failed twice (timing-dependent, run again once); first attempt:\n"
                   "    expected:    %s\n    actual:      %s\n",
                   r.first_attempt->outcome.expected.c_str(),
                   r.first_attempt->outcome.actual.c_str());
    }
    if (!flags_.verbose() && !r.wire.empty()) {
      std::fprintf(out_, "    wire (last lines; -v shows all):\n");
      const std::size_t from = r.wire.size() > 8 ? r.wire.size() - 8 : 0;
      for (std::size_t i = from; i < r.wire.size(); ++i) {
        std::fprintf(out_, "      %s\n", r.wire[i].c_str());
      }
    }
  }
}

void ConsoleReport::matrix(const std::vector<CaseResult>& results) {
  const TransportMatrix m = transport_matrix(results);
  if (m.empty()) return;
  std::fprintf(out_, "\nTransport matrix (rules checked on every path they hold on):\n ");
  for (std::size_t i = 0; i < kPaths.size(); ++i) {
    if (m.paths[i].run == 0) continue;
    std::fprintf(out_, "  %s %zu/%zu", std::string(to_string(kPaths[i])).c_str(), m.paths[i].passed,
                 m.paths[i].run);
  }
  std::fprintf(out_, " passed\n");
  // Rules whose paths disagree: the path that lags behind shows at once.
  for (const MatrixRow& row : m.rows) {
    if (!paths_disagree(row)) continue;
    std::string line = "  " + row.rule;
    line.resize(std::max<std::size_t>(line.size(), 12), ' ');
    for (std::size_t i = 0; i < kPaths.size(); ++i) {
      if (!row.cells[i]) continue;
      line += std::string("  ") + mark(*row.cells[i], flags_.utf8()) + " " +
              std::string(to_string(kPaths[i]));
    }
    std::fprintf(out_, "%s\n", line.c_str());
  }
}

void ConsoleReport::summary(const Tally& t, std::chrono::milliseconds elapsed) {
  std::fprintf(out_, "\n");
  if (t.expected_failures > 0 || t.unexpected_passes > 0) {
    std::fprintf(out_, "%s, %s\n", counted(t.expected_failures, "expected failure").c_str(),
                 counted(t.unexpected_passes, "unexpected pass", "unexpected passes").c_str());
  }
  if (t.passed_on_rerun > 0) {
    std::fprintf(out_,
                 "%s on rerun: timing-dependent, failed once and passed when run again "
                 "(--no-rerun counts the first failure)\n",
                 counted(t.passed_on_rerun, "case passed", "cases passed").c_str());
  }
  if (t.should_failures > 0) {
    std::fprintf(out_, "%s in the SHOULD tier (SHOULD failures fail the run only with --strict)\n",
                 counted(t.should_failures, "failure").c_str());
  }
  std::fprintf(out_, "%zu passed, %zu failed, %zu unimplemented, %zu skipped in %.1f s\n", t.passed,
               t.failed, t.unimplemented, t.skipped, static_cast<double>(elapsed.count()) / 1000.0);
  std::fflush(out_);
}

void print_list(std::FILE* out, const std::vector<const Case*>& cases) {
  int id_width = 8;  // "10.3/1", or longer for path cells ("3.4/7@msgpack")
  for (const Case* c : cases) id_width = std::max(id_width, static_cast<int>(c->id.size()));
  std::optional<Group> group;
  for (const Case* c : cases) {
    if (!group || *group != group_of(*c)) {
      group = group_of(*c);
      std::fprintf(out, "%s\n", std::string(to_string(group_of(*c))).c_str());
    }
    std::fprintf(out, "  %-*s %-7s %s\n", id_width, c->id.c_str(),
                 std::string(to_string(c->tier)).c_str(), c->requirement.c_str());
  }
  std::fprintf(out, "%s\n", counted(cases.size(), "case").c_str());
}

}  // namespace flake::conform
