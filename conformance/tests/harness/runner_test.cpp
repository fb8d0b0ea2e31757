// The runner's rerun of timing-dependent cases, with fake cases that fail on cue: a failure that
// repeats still counts (both attempts kept), one that does not counts as a pass on rerun, and
// nothing else runs twice.
#include "conformance/harness/runner.hpp"

#include "conformance/harness/report/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace flake::conform {
namespace {

class Quiet : public ProgressSink {
 public:
  void case_started(const Case&, std::size_t, std::size_t) override {}
  void case_finished(const CaseResult&, std::size_t, std::size_t) override {}
};

// A case that fails its first `failures` runs and passes after; `runs` counts them.
Case flaky(std::string id, int failures, int& runs, bool timing) {
  Case c;
  c.id = std::move(id);
  c.requirement = "A fake case.";
  c.timing = timing;
  c.run = [failures, &runs](CaseContext& ctx) {
    ++runs;
    ctx.log().note("run " + std::to_string(runs));
    if (runs <= failures) return fail("under 10 ms", "run " + std::to_string(runs) + " took 12 ms");
    return pass();
  };
  return c;
}

std::vector<CaseResult> run_one(const Case& c, RunConfig config = {}) {
  Target target;
  Quiet quiet;
  return run_cases({&c}, target, config, quiet);
}

TEST(Runner, TimingCaseThatFailsOncePassesOnRerun) {
  int runs = 0;
  const Case c = flaky("7.6/1", 1, runs, true);
  const auto results = run_one(c);
  EXPECT_EQ(runs, 2);
  ASSERT_EQ(results.size(), 1u);
  const CaseResult& r = results[0];
  EXPECT_EQ(r.outcome.status, Status::Pass);
  EXPECT_TRUE(passed_on_rerun(r));
  ASSERT_TRUE(r.first_attempt.has_value());
  EXPECT_EQ(r.first_attempt->outcome.status, Status::Fail);
  EXPECT_EQ(r.first_attempt->outcome.actual, "run 1 took 12 ms");
  // Each attempt has a wire log of its own.
  ASSERT_FALSE(r.first_attempt->wire.empty());
  EXPECT_NE(r.first_attempt->wire.back().find("run 1"), std::string::npos);
  EXPECT_NE(r.wire.back().find("run 2"), std::string::npos);
  const Tally t = tally(results);
  EXPECT_EQ(t.passed, 1u);
  EXPECT_EQ(t.passed_on_rerun, 1u);
  EXPECT_EQ(t.failed, 0u);
  EXPECT_FALSE(run_fails(t, false));
}

TEST(Runner, TimingCaseThatFailsTwiceFailsWithBothAttempts) {
  int runs = 0;
  const Case c = flaky("7.6/2", 5, runs, true);
  const auto results = run_one(c);
  EXPECT_EQ(runs, 2);  // once again, not until it passes
  const CaseResult& r = results[0];
  EXPECT_EQ(r.outcome.status, Status::Fail);
  EXPECT_EQ(r.outcome.actual, "run 2 took 12 ms");
  ASSERT_TRUE(r.first_attempt.has_value());
  EXPECT_EQ(r.first_attempt->outcome.actual, "run 1 took 12 ms");
  EXPECT_FALSE(passed_on_rerun(r));
  const Tally t = tally(results);
  EXPECT_EQ(t.failed, 1u);
  EXPECT_EQ(t.passed_on_rerun, 0u);
  EXPECT_TRUE(run_fails(t, false));
}

TEST(Runner, PerformanceGroupIsTimingDependentWithoutDeclaringIt) {
  int runs = 0;
  const Case c = flaky("10.3/1", 1, runs, false);
  EXPECT_TRUE(timing_dependent(c));
  const auto results = run_one(c);
  EXPECT_EQ(runs, 2);
  EXPECT_TRUE(passed_on_rerun(results[0]));
}

TEST(Runner, OtherFailuresAreNotRerun) {
  int runs = 0;
  const Case c = flaky("3.1/1", 1, runs, false);
  const auto results = run_one(c);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(results[0].outcome.status, Status::Fail);
  EXPECT_FALSE(results[0].first_attempt.has_value());
}

TEST(Runner, NoRerunCountsTheFirstFailure) {
  int runs = 0;
  const Case c = flaky("7.6/1", 1, runs, true);
  RunConfig config;
  config.rerun = false;
  const auto results = run_one(c, config);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(results[0].outcome.status, Status::Fail);
  EXPECT_FALSE(results[0].first_attempt.has_value());
}

TEST(Runner, CaseThatStopsTheSidecarOrIsAnExpectedFailureIsNotRerun) {
  int runs = 0;
  Case stops = flaky("8.11/1", 1, runs, true);
  stops.stops_sidecar = true;
  run_one(stops);
  EXPECT_EQ(runs, 1);

  runs = 0;
  const Case listed = flaky("7.6/1", 1, runs, true);
  RunConfig config;
  config.expected_failures = {"7.6/1"};
  const auto results = run_one(listed, config);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(tally(results).expected_failures, 1u);
}

TEST(Runner, PassedOnRerunIsNoUnexpectedPassAndTimingPassIsRunOnce) {
  int runs = 0;
  const Case c = flaky("7.6/1", 0, runs, true);
  const auto results = run_one(c);
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(results[0].first_attempt.has_value());
}

std::string read(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

// The reports tell both attempts: JSON's rerun object, JUnit's note on a pass, the summary's count.
TEST(Runner, ReportsShowBothAttempts) {
  int once = 0;
  int twice = 0;
  const Case a = flaky("7.6/1", 1, once, true);
  const Case b = flaky("7.6/2", 5, twice, true);
  Target target;
  Quiet quiet;
  const auto results = run_cases({&a, &b}, target, RunConfig{}, quiet);
  const std::string dir = ::testing::TempDir();
  const ReportMeta meta{"ws://127.0.0.1:1/rpc", "", std::chrono::milliseconds(5), false};
  std::string error;
  ASSERT_TRUE(write_json_report(dir + "rerun.json", results, meta, error)) << error;
  const auto doc = nlohmann::json::parse(read(dir + "rerun.json"));
  EXPECT_EQ(doc["summary"]["passedOnRerun"], 1);
  EXPECT_EQ(doc["summary"]["failed"], 1);
  EXPECT_EQ(doc["cases"][0]["rerun"]["status"], "pass");
  EXPECT_EQ(doc["cases"][0]["rerun"]["first"]["actual"], "run 1 took 12 ms");
  EXPECT_EQ(doc["cases"][1]["status"], "fail");
  EXPECT_EQ(doc["cases"][1]["rerun"]["status"], "fail");
  EXPECT_EQ(doc["cases"][1]["rerun"]["first"]["actual"], "run 1 took 12 ms");

  ASSERT_TRUE(write_junit_report(dir + "rerun.xml", results, meta, error)) << error;
  const std::string xml = read(dir + "rerun.xml");
  EXPECT_NE(xml.find("failed, passed on rerun"), std::string::npos);
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("failed twice"), std::string::npos);
  // Surefire's rerun elements, which Jenkins and GitLab show: flaky on the pass, rerun on the fail.
  EXPECT_NE(xml.find("<flakyFailure type=\"timing-dependent\" message=\"first attempt failed"),
            std::string::npos);
  EXPECT_NE(xml.find("<rerunFailure type=\"timing-dependent\" message=\"rerun failed too"),
            std::string::npos);
  EXPECT_EQ(xml.find("<flakyFailure"), xml.rfind("<flakyFailure"));

  ASSERT_TRUE(write_html_report(dir + "rerun.html", results, meta, error)) << error;
  const std::string html = read(dir + "rerun.html");
  EXPECT_NE(html.find("pass (failed, passed on rerun)"), std::string::npos);
  EXPECT_NE(html.find("failed twice"), std::string::npos);

  std::remove((dir + "rerun.md").c_str());
  ASSERT_TRUE(write_summary_report(dir + "rerun.md", results, meta, error)) << error;
  const std::string md = read(dir + "rerun.md");
  EXPECT_NE(md.find("1 case passed on rerun"), std::string::npos);
  EXPECT_NE(md.find("failed twice; first attempt: run 1 took 12 ms"), std::string::npos);
}

}  // namespace
}  // namespace flake::conform
