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

// Whether the locale environment names UTF-8: the first of LC_ALL, LC_CTYPE and LANG that is set
// (non-empty, as POSIX reads them) decides, and it does when it contains "utf-8" or "utf8" in any
// case. None set is the POSIX locale, which is ASCII.
bool locale_is_utf8(const char* lc_all, const char* lc_ctype, const char* lang);

// How the console prints, resolved once when a run starts and only read afterwards through the
// predicates, so that no print looks at the terminal or the environment itself.
class ConsoleFlags {
 public:
  // From the options and the process: whether `out` is a terminal, and the locale's charset.
  static ConsoleFlags resolve(std::FILE* out, bool verbose);
  ConsoleFlags(bool verbose, bool terminal, bool utf8)
      : verbose_(verbose), terminal_(terminal), utf8_(utf8) {}
  // Every case's wire log, rather than the last lines of each failure's.
  bool verbose() const { return verbose_; }
  // A progress line redrawn in place while a case runs.
  bool terminal() const { return terminal_; }
  // Marks and punctuation beyond ASCII (check mark, ellipsis, dash, section sign); without it the
  // console writes ASCII of its own ("ok", "FAIL", "...", "--").
  bool utf8() const { return utf8_; }

 private:
  bool verbose_;
  bool terminal_;
  bool utf8_;
};

class ConsoleReport : public ProgressSink {
 public:
  ConsoleReport(std::FILE* out, ConsoleFlags flags);
  void case_started(const Case& c, std::size_t index, std::size_t total) override;
  void case_finished(const CaseResult& result, std::size_t index, std::size_t total) override;
  void failures(const std::vector<CaseResult>& results);
  // Per path, cells passed of cells run, and the rules whose cells disagree (nothing when the run
  // had no path-generic case).
  void matrix(const std::vector<CaseResult>& results);
  void summary(const Tally& t, std::chrono::milliseconds elapsed);

 private:
  std::FILE* out_;
  ConsoleFlags flags_;
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
// A self-contained HTML page: summary, failures, the PERF measurements plotted (report_svg),
// transport matrix, every case by group.
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
// Writes the catalogue as JSON (--list --json FILE; conformance/schemas/list.schema.json): each
// case's ID, tier, group, requirement and rules, and a path-generic cell's rule and path.
bool write_list_json(const std::string& path, const std::vector<const Case*>& cases,
                     std::string& error);

}  // namespace flake::conform
