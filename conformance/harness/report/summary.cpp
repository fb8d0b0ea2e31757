// --summary: Markdown a CI job page renders ($GITHUB_STEP_SUMMARY, or a GitLab artifact): the
// verdict, the console's tally, the transport matrix in one line and a table of failures.
#include "conformance/client/utf8.hpp"
#include "conformance/harness/matrix.hpp"
#include "conformance/harness/report/report.hpp"
#include "conformance/harness/report/text.hpp"

#include <algorithm>
#include <string_view>

namespace flake::conform {
namespace {

// Long enough to tell one failure from another, short enough that a few hundred rows stay well
// under the 1 MiB GitHub accepts for a step summary.
constexpr std::size_t kRequirementChars = 200;
constexpr std::size_t kExpectedChars = 200;
constexpr std::size_t kActualChars = 300;
constexpr std::size_t kMaxRows = 100;
constexpr std::size_t kMaxDisagreeing = 10;

// Text that Markdown shows as written inside a line or a table cell: sidecar output can hold '|'
// (which would split the row), backticks (a code span swallowing the row), '<' (raw HTML), '$'
// (math on GitHub), '&' (an entity), '*', '_', '~' (emphasis), '[' (a link). CommonMark lets any
// ASCII punctuation be backslash-escaped, and these are; marks that mean something only at the
// start of a line ('#', '-', '+') cannot be there. Line breaks become <br>, which GitHub and GitLab
// render in a cell, and other control characters '?'.
std::string markdown_text(std::string_view raw, std::size_t max_chars) {
  const std::string text = shorten(escape_invalid_utf8(raw), max_chars);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '\r' || ch == '\n') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "<br>";
    } else if (std::string_view("\\`*_[]<>|~$&").find(ch) != std::string_view::npos) {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += ch == '\t' ? ' ' : '?';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  return std::to_string(ms.count() / 1000) + "." + std::to_string(ms.count() % 1000 / 100) + " s";
}

// The tier cell: the tier, and why the row does or does not fail the run when that is not plain.
std::string tier_cell(const CaseResult& r, bool strict) {
  std::string tier(to_string(r.c->tier));
  if (r.outcome.status == Status::Pass) return tier + " (listed as an expected failure, passed)";
  if (r.outcome.status == Status::Unimplemented) return tier + " (unimplemented, --strict)";
  if (r.expected_failure) return tier + " (expected failure)";
  if (r.c->tier == Tier::Should) {
    return tier + (strict ? " (--strict)" : " (does not fail the run without --strict)");
  }
  return tier;
}

std::string failure_row(const CaseResult& r, bool strict) {
  std::string expected = r.outcome.expected;
  std::string actual = r.outcome.actual;
  if (r.outcome.status == Status::Pass) {
    expected = "a failure (listed in --expected-failures)";
    actual = "passed: remove it from the list";
  } else if (r.outcome.status == Status::Unimplemented) {
    expected = "the feature (--strict)";
    actual = "unimplemented: " + r.outcome.reason;
  }
  if (r.first_attempt)
    actual =
        "failed twice; first attempt: " + r.first_attempt->outcome.actual + "; rerun: " + actual;
  // Case IDs are ours ("3.4/7@msgpack"): a code span shows them exactly.
  return "| `" + r.c->id + "` | " + markdown_text(tier_cell(r, strict), 80) + " | " +
         markdown_text(r.c->requirement, kRequirementChars) + " | " +
         markdown_text(expected, kExpectedChars) + " | " + markdown_text(actual, kActualChars) +
         " |\n";
}

std::string matrix_line(const std::vector<CaseResult>& results) {
  const TransportMatrix m = transport_matrix(results);
  if (m.empty()) return {};
  std::string line = "**Transport matrix:**";
  const char* sep = " ";
  for (std::size_t i = 0; i < kPaths.size(); ++i) {
    if (m.paths[i].run == 0) continue;
    line += sep + std::string(to_string(kPaths[i])) + " " + std::to_string(m.paths[i].passed) +
            "/" + std::to_string(m.paths[i].run);
    sep = ", ";
  }
  line += " passed";
  std::vector<std::string> disagree;
  for (const MatrixRow& row : m.rows) {
    if (paths_disagree(row)) disagree.push_back(row.rule);
  }
  if (!disagree.empty()) {
    line += "; the paths disagree on ";
    for (std::size_t i = 0; i < std::min(disagree.size(), kMaxDisagreeing); ++i) {
      line += (i > 0 ? ", `" : "`") + disagree[i] + "`";
    }
    if (disagree.size() > kMaxDisagreeing) {
      line += " and " + std::to_string(disagree.size() - kMaxDisagreeing) + " more";
    }
  }
  return line + ".\n\n";
}

}  // namespace

bool write_summary_report(const std::string& path, const std::vector<CaseResult>& results,
                          const ReportMeta& meta, std::string& error) {
  const Tally t = tally(results);
  const bool failed = run_fails(t, meta.strict);
  std::size_t failing = 0;
  for (const auto& r : results) failing += fails_run(r, meta.strict) ? 1 : 0;

  std::string md =
      std::string("## flake-conform: ") + (failed ? "\u274c FAILED" : "\u2705 PASSED") + "\n\n";
  md += failed ? std::to_string(failing) + (failing == 1 ? " case fails" : " cases fail") +
                     " the run (exit status 1)."
               : std::string("No case fails the run.");
  md += " Target: " + markdown_text(meta.target, 300);
  if (!meta.sidecar.empty()) md += " (started: " + markdown_text(meta.sidecar, 300) + ")";
  md += "; " + std::to_string(results.size()) + " cases in " + seconds_text(meta.elapsed) +
        (meta.strict ? "; --strict" : "") + ".\n\n";

  // The console's tally, column for column.
  md += "| passed | failed | of them SHOULD | unimplemented | skipped |\n";
  md += "|---:|---:|---:|---:|---:|\n";
  md += "| " + std::to_string(t.passed) + " | " + std::to_string(t.failed) + " | " +
        std::to_string(t.should_failures) + " | " + std::to_string(t.unimplemented) + " | " +
        std::to_string(t.skipped) + " |\n\n";
  if (!meta.strict && (t.should_failures > 0 || t.unimplemented > 0)) {
    md += "SHOULD failures and unimplemented cases fail the run only with --strict.\n\n";
  }
  if (t.expected_failures > 0 || t.unexpected_passes > 0) {
    md += std::to_string(t.expected_failures) + " expected failures, " +
          std::to_string(t.unexpected_passes) +
          " unexpected passes (listed in --expected-failures, but passed).\n\n";
  }
  if (t.passed_on_rerun > 0) {
    md += std::to_string(t.passed_on_rerun) + (t.passed_on_rerun == 1 ? " case" : " cases") +
          " passed on rerun (timing-dependent: failed once, passed when run again at once):";
    std::size_t listed = 0;
    for (const auto& r : results) {
      if (!passed_on_rerun(r) || ++listed > kMaxRows) continue;
      md += (listed > 1 ? ", `" : " `") + r.c->id + "`";
    }
    md += ".\n\n";
  }
  md += matrix_line(results);

  // Rows that fail the run first, then the failures that do not.
  std::vector<const CaseResult*> rows;
  for (const auto& r : results) {
    if (fails_run(r, meta.strict)) rows.push_back(&r);
  }
  for (const auto& r : results) {
    if (r.outcome.status == Status::Fail && !fails_run(r, meta.strict)) rows.push_back(&r);
  }
  if (!rows.empty()) {
    md +=
        "### Failures\n\n| ID | tier | requirement | expected | actual |\n|---|---|---|---|---|\n";
    for (std::size_t i = 0; i < std::min(rows.size(), kMaxRows); ++i) {
      md += failure_row(*rows[i], meta.strict);
    }
    if (rows.size() > kMaxRows) {
      md += "\n" + std::to_string(rows.size() - kMaxRows) +
            " more not shown here; the --junit and --json reports have every case.\n";
    }
    md += "\n";
  }
  return append_file(path, md, error);
}

}  // namespace flake::conform
