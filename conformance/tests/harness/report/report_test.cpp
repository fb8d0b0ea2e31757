// What CI systems show natively: the run's verdict rule shared by every report, the --summary
// Markdown (cells that hostile sidecar text cannot break), the --annotations github workflow
// commands (escaped as the Actions runner decodes them), and JUnit red exactly when the run fails.
#include "conformance/harness/report/report.hpp"
#include "conformance/client_cases/client_options.hpp"
#include "conformance/harness/options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace flake::conform {
namespace {

Case make_case(std::string id, Tier tier) {
  Case c;
  c.id = std::move(id);
  c.tier = tier;
  c.requirement = "The sidecar " + std::string(to_string(tier)) + " do it.";
  return c;
}

CaseResult result(const Case& c, Status status, bool expected_failure = false) {
  CaseResult r;
  r.c = &c;
  r.outcome.status = status;
  r.outcome.expected = "an answer";
  r.outcome.actual = "something else";
  r.outcome.reason = "no such feature";
  r.expected_failure = expected_failure;
  return r;
}

std::string read(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The cells of a table row as GFM splits it: at each '|' that no backslash escapes.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  for (std::size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size()) {
      cell += row.substr(i, 2);
      ++i;
    } else if (row[i] == '|') {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return out;
}

// Undoes the backslash escapes and <br> of a summary cell.
std::string unescape(const std::string& cell) {
  std::string out;
  for (std::size_t i = 0; i < cell.size(); ++i) {
    if (cell.compare(i, 4, "<br>") == 0) {
      out += '\n';
      i += 3;
    } else if (cell[i] == '\\' && i + 1 < cell.size()) {
      out += cell[++i];
    } else {
      out += cell[i];
    }
  }
  return out;
}

TEST(Report, EveryReportFollowsTheExitStatusRule) {
  const Case must = make_case("1.1/1", Tier::Must);
  const Case should = make_case("1.1/2", Tier::Should);
  const Case perf = make_case("10.1/1", Tier::Perf);
  const Status statuses[] = {Status::Pass, Status::Fail, Status::Unimplemented, Status::Skipped};
  for (const Case* c : {&must, &should, &perf}) {
    for (const Status s : statuses) {
      for (const bool listed : {false, true}) {
        for (const bool strict : {false, true}) {
          const std::vector<CaseResult> one = {result(*c, s, listed)};
          EXPECT_EQ(run_fails(tally(one), strict), fails_run(one.front(), strict))
              << c->id << " " << to_string(s) << " listed=" << listed << " strict=" << strict;
        }
      }
    }
  }
  EXPECT_FALSE(fails_run(result(should, Status::Fail), false));
  EXPECT_TRUE(fails_run(result(should, Status::Fail), true));
  EXPECT_TRUE(fails_run(result(must, Status::Pass, true), false));  // the list went stale
  EXPECT_FALSE(fails_run(result(must, Status::Fail, true), true));  // an expected failure
  EXPECT_TRUE(fails_run(result(must, Status::Unimplemented), true));
}

TEST(Report, SummaryCellsSurviveHostileText) {
  Case c = make_case("3.4/7@msgpack", Tier::Must);
  c.requirement = "A | pipe, `code`, <b>tag</b>, $x$, *stars* and _under_";
  CaseResult r = result(c, Status::Fail);
  r.outcome.expected = "a\\|b & c ~~d~~ [link](http://x)";
  r.outcome.actual = "line one\r\nline `two` | 100%\x01 \xff";
  const std::string path = ::testing::TempDir() + "/summary_hostile.md";
  std::remove(path.c_str());
  std::string error;
  ASSERT_TRUE(write_summary_report(path, {r}, ReportMeta{"ws://h:1/rpc", "", {}, false}, error));
  const std::string md = read(path);
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : lines_of(md)) {
    if (line.rfind("| ID |", 0) == 0 || line.rfind("| `", 0) == 0) rows.push_back(cells(line));
  }
  ASSERT_EQ(rows.size(), 2u) << md;
  ASSERT_EQ(rows[0].size(), 5u);
  ASSERT_EQ(rows[1].size(), 5u) << md;
  EXPECT_EQ(rows[1][0], " `3.4/7@msgpack` ");
  EXPECT_EQ(unescape(rows[1][2]), " " + c.requirement + " ");
  EXPECT_EQ(unescape(rows[1][3]), " " + r.outcome.expected + " ");
  // The line break shows as <br>, the control character as '?', the invalid byte as \xff.
  EXPECT_EQ(unescape(rows[1][4]), " line one\nline `two` | 100%? \\xff ") << rows[1][4];
  EXPECT_EQ(md.find("<b>"), std::string::npos);
  EXPECT_NE(md.find("FAILED"), std::string::npos);
}

TEST(Report, SummaryCutsLongCellsAndAppends) {
  const Case c = make_case("5.1/1", Tier::Must);
  CaseResult r = result(c, Status::Fail);
  r.outcome.actual = std::string(5000, 'x') + "\xe2\x9c\x94";
  const std::string path = ::testing::TempDir() + "/summary_long.md";
  std::remove(path.c_str());
  std::string error;
  const ReportMeta meta{"ws://h:1/rpc", "", {}, false};
  ASSERT_TRUE(write_summary_report(path, {r}, meta, error));
  ASSERT_TRUE(write_summary_report(path, {result(c, Status::Pass)}, meta, error));
  const std::string md = read(path);
  EXPECT_EQ(md.find(std::string(301, 'x')), std::string::npos);
  EXPECT_NE(md.find(std::string(300, 'x') + "\u2026"), std::string::npos);
  EXPECT_NE(md.find("## flake-conform: \u274c FAILED"), std::string::npos);
  EXPECT_NE(md.find("## flake-conform: \u2705 PASSED"), md.npos);  // the second run, appended
  EXPECT_FALSE(write_summary_report("/nonexistent-dir/s.md", {r}, meta, error));
}

TEST(Report, SummaryVerdictAndCounts) {
  const Case should = make_case("3.8/4", Tier::Should);
  const Case listed = make_case("3.8/1", Tier::Must);
  const std::vector<CaseResult> results = {result(should, Status::Fail),
                                           result(listed, Status::Fail, true)};
  for (const bool strict : {false, true}) {
    const std::string path = ::testing::TempDir() + "/summary_counts.md";
    std::remove(path.c_str());
    std::string error;
    ASSERT_TRUE(write_summary_report(path, results, ReportMeta{"t", "", {}, strict}, error));
    const std::string md = read(path);
    EXPECT_NE(md.find(strict ? "FAILED" : "PASSED"), std::string::npos) << md;
    // passed, failed, of them SHOULD, unimplemented, skipped: the console's tally.
    EXPECT_NE(md.find("| 0 | 1 | 1 | 0 | 0 |"), std::string::npos) << md;
    EXPECT_NE(md.find("1 expected failures, 0 unexpected passes"), std::string::npos) << md;
    EXPECT_NE(md.find("| `3.8/4` | SHOULD"), std::string::npos);
    EXPECT_NE(md.find("| `3.8/1` | MUST (expected failure)"), std::string::npos);
  }
}

std::string annotations_of(const std::vector<CaseResult>& results, bool strict) {
  std::FILE* f = std::tmpfile();
  print_github_annotations(f, results, strict);
  std::rewind(f);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fclose(f);
  return out;
}

TEST(Report, AnnotationsAreEscapedWorkflowCommands) {
  const Case odd = make_case("x:y,z%", Tier::Must);
  CaseResult r = result(odd, Status::Fail);
  r.outcome.actual = "100% sure\r\n::warning::injected";
  const std::string out = annotations_of({r}, false);
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 1u) << out;
  EXPECT_EQ(lines[0].rfind("::error title=x%3Ay%2Cz%25::[MUST] The sidecar MUST do it.%0A", 0), 0u)
      << lines[0];
  EXPECT_NE(lines[0].find("actual: 100%25 sure%0D%0A::warning::injected"), std::string::npos)
      << lines[0];
}

TEST(Report, AnnotationLevelsFollowTheRun) {
  const Case must = make_case("1.1/1", Tier::Must);
  const Case should = make_case("1.1/2", Tier::Should);
  const Case listed = make_case("1.1/3", Tier::Must);
  const Case stale = make_case("1.1/4", Tier::Must);
  const Case unimpl = make_case("1.1/5", Tier::Must);
  const std::vector<CaseResult> results = {
      result(must, Status::Fail), result(should, Status::Fail), result(listed, Status::Fail, true),
      result(stale, Status::Pass, true), result(unimpl, Status::Unimplemented)};
  auto titles = [&](bool strict) {
    std::string summary;
    for (const auto& line : lines_of(annotations_of(results, strict))) {
      summary += line.substr(0, line.find("::", 2)) + "\n";
    }
    return summary;
  };
  EXPECT_EQ(titles(false), "::error title=1.1/1\n::warning title=1.1/2\n::error title=1.1/4\n");
  EXPECT_EQ(titles(true),
            "::error title=1.1/1\n::error title=1.1/2\n::error title=1.1/4\n::error title=1.1/5\n");
  EXPECT_EQ(annotations_of({result(must, Status::Pass)}, false), "");
}

TEST(Report, AnnotationsBeyondGitHubsLimitAreCounted) {
  std::vector<Case> cases;
  for (int i = 1; i <= 11; ++i) cases.push_back(make_case("1.1/" + std::to_string(i), Tier::Must));
  std::vector<CaseResult> results;
  for (const Case& c : cases) results.push_back(result(c, Status::Fail));
  const auto lines = lines_of(annotations_of(results, false));
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines.back().rfind("::notice title=flake-conform::11 errors and 0 warnings in all", 0),
            0u)
      << lines.back();
  results.pop_back();
  EXPECT_EQ(lines_of(annotations_of(results, false)).size(), 10u);
}

TEST(Report, JunitIsRedExactlyWhenTheRunFails) {
  Case should = make_case("3.8/4", Tier::Should);
  should.requirement = "The data SHOULD be {\"method\":<name>}.";
  const Case must = make_case("3.8/1", Tier::Must);
  const Case listed = make_case("3.8/2", Tier::Must);
  const Case unimpl = make_case("3.8/9", Tier::Must);
  const std::vector<CaseResult> results = {result(should, Status::Fail), result(must, Status::Pass),
                                           result(listed, Status::Fail, true),
                                           result(unimpl, Status::Unimplemented)};
  for (const bool strict : {false, true}) {
    const std::string path = ::testing::TempDir() + "/junit_verdicts.xml";
    std::string error;
    ASSERT_TRUE(write_junit_report(path, results, ReportMeta{"t", "", {}, strict}, error));
    const std::string x = read(path);
    // Named by ID; the requirement in the body.
    EXPECT_NE(x.find("name=\"3.8/4\" time="), std::string::npos) << x;
    EXPECT_NE(x.find("The data SHOULD be {&quot;method&quot;:&lt;name&gt;}."), std::string::npos);
    const std::string head = x.substr(0, x.find("<testsuite "));
    EXPECT_EQ(head.find("skipped="), std::string::npos) << head;  // rejected by Jenkins' schema
    if (strict) {
      EXPECT_NE(head.find("failures=\"2\""), std::string::npos) << head;
      EXPECT_NE(x.find("skipped=\"1\""), std::string::npos);
    } else {
      EXPECT_NE(head.find("failures=\"0\""), std::string::npos) << head;
      EXPECT_NE(x.find("skipped=\"3\""), std::string::npos);
      EXPECT_NE(x.find("<skipped message=\"SHOULD-tier failure, which fails the run only with "
                       "--strict"),
                std::string::npos);
    }
  }
}

TEST(Options, SummaryAndAnnotations) {
  std::vector<std::string> args = {"flake-conform", "--reference",   "--summary",
                                   "s.md",          "--annotations", "github"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  auto p = parse_options(static_cast<int>(argv.size()), argv.data(), "/bin/sidecar");
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.summary_file.value_or(""), "s.md");
  EXPECT_TRUE(p.options.github_annotations);

  args = {"flake-conform", "--reference", "--annotations", "gitlab"};
  argv.clear();
  for (auto& a : args) argv.push_back(a.data());
  p = parse_options(static_cast<int>(argv.size()), argv.data(), "/bin/sidecar");
  EXPECT_NE(p.error.find("\"github\""), std::string::npos) << p.error;

  args = {"flake-conform", "client", "--spawn", "x", "--annotations", "GitHub"};
  argv.clear();
  for (auto& a : args) argv.push_back(a.data());
  const auto c = client::parse_client_options(static_cast<int>(argv.size()), argv.data(), 2, "d");
  EXPECT_NE(c.error.find("\"github\""), std::string::npos) << c.error;

  for (const std::string& help : {usage_text("/bin/sidecar"), client::client_usage_text("d")}) {
    for (const char* word : {"--summary FILE", "GITHUB_STEP_SUMMARY", "--annotations github",
                             "::error title=ID::", "::warning title=ID::"}) {
      EXPECT_NE(help.find(word), std::string::npos) << word;
    }
  }
}

}  // namespace
}  // namespace flake::conform
