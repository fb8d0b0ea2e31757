// Reporting: the console tree with progress, the Failures block and summary, the machine
// readable --json and --junit files, and the --html page.
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
};

bool write_json_report(const std::string& path, const std::vector<CaseResult>& results,
                       const ReportMeta& meta, std::string& error);
bool write_junit_report(const std::string& path, const std::vector<CaseResult>& results,
                        const ReportMeta& meta, std::string& error);
// A self-contained HTML page: summary, transport matrix, failures, every case by group.
bool write_html_report(const std::string& path, const std::vector<CaseResult>& results,
                       const ReportMeta& meta, std::string& error);

// The report files a run asked for (unset: not written).
struct ReportFiles {
  std::optional<std::string> json;
  std::optional<std::string> junit;
  std::optional<std::string> html;
};
// Writes each; false when one could not be written, each such error printed to stderr after
// `program` ("flake-conform: cannot write ...").
bool write_reports(const ReportFiles& files, const std::vector<CaseResult>& results,
                   const ReportMeta& meta, std::string_view program);

// Prints the catalogue (--list).
void print_list(std::FILE* out, const std::vector<const Case*>& cases);

}  // namespace flake::conform
