// Reporting: the console tree with progress, the Failures block and summary, the machine
// readable --json and --junit files, the --html page, and what CI systems show natively: the
// --summary Markdown and the --annotations github workflow commands.
#pragma once

#include "conformance/harness/runner.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

class ConsoleReport : public ProgressSink {
 public:
  ConsoleReport(std::FILE* out, bool verbose);
  void case_started(const Case& c, std::size_t index, std::size_t total) override;
  void case_finished(const CaseResult& result, std::size_t index, std::size_t total) override;
  void failures(const std::vector<CaseResult>& results);
  // Per path, cells passed of cells run, and the rules whose cells disagree (nothing when the run
  // had no path-generic case).
  void matrix(const std::vector<CaseResult>& results);
  void summary(const Tally& t, std::chrono::milliseconds elapsed);

 private:
  std::FILE* out_;
  bool verbose_;
  bool tty_;
  std::optional<Group> group_;
};

struct ReportMeta {
  std::string target;
  std::string sidecar;  // how it was started, if by the harness
  std::chrono::milliseconds elapsed{0};
  bool strict = false;  // --strict: SHOULD failures and unimplemented cases fail the run
};

bool write_json_report(const std::string& path, const std::vector<CaseResult>& results,
                       const ReportMeta& meta, std::string& error);
// A case is <failure> exactly when it fails the run (fails_run), so that a JUnit consumer turns
// red when the exit status is 1 and only then; any other case that did not pass is <skipped>,
// its message saying why. Test names are the case IDs.
bool write_junit_report(const std::string& path, const std::vector<CaseResult>& results,
                        const ReportMeta& meta, std::string& error);
// A self-contained HTML page: summary, transport matrix, failures, every case by group.
bool write_html_report(const std::string& path, const std::vector<CaseResult>& results,
                       const ReportMeta& meta, std::string& error);

// Markdown for a CI job page ($GITHUB_STEP_SUMMARY, a GitLab artifact): the verdict, the counts,
// the transport matrix in one line and a table of failures. Appended to `path`, as GitHub's step
// summary file expects, so that two runs in one step both show.
bool write_summary_report(const std::string& path, const std::vector<CaseResult>& results,
                          const ReportMeta& meta, std::string& error);

// --annotations github: one ::error workflow command per case that fails the run and one
// ::warning per SHOULD failure that does not, titled with the case ID.
void print_github_annotations(std::FILE* out, const std::vector<CaseResult>& results, bool strict);

// The report files a run asked for (unset: not written).
struct ReportFiles {
  std::optional<std::string> json;
  std::optional<std::string> junit;
  std::optional<std::string> html;
  std::optional<std::string> summary;
};
// Writes each; false when one could not be written, each such error printed to stderr after
// `program` ("flake-conform: cannot write ...").
bool write_reports(const ReportFiles& files, const std::vector<CaseResult>& results,
                   const ReportMeta& meta, std::string_view program);

// Prints the catalogue (--list).
void print_list(std::FILE* out, const std::vector<const Case*>& cases);

}  // namespace flake::conform
