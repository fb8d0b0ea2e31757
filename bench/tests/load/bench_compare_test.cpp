// flake-bench compare and baseline: verdicts at the tolerance boundary, tolerances from a run's
// spread, reports and baselines as either side, and every bad input with exit status 2.
#include "bench/load/bench_compare.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace flake::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(BenchCompare, VerdictsAtTheToleranceBoundary) {
  // Higher is better: worse below old x 0.75, better above old x 1.25, the same at both bounds.
  EXPECT_EQ(judge(1.0, 0.75, 0.25, true), Verdict::Same);
  EXPECT_EQ(judge(1.0, 0.7499, 0.25, true), Verdict::Worse);
  EXPECT_EQ(judge(1.0, 1.25, 0.25, true), Verdict::Same);
  EXPECT_EQ(judge(1.0, 1.2501, 0.25, true), Verdict::Better);
  // Lower is better: mirrored.
  EXPECT_EQ(judge(2.0, 2.5, 0.25, false), Verdict::Same);
  EXPECT_EQ(judge(2.0, 2.5001, 0.25, false), Verdict::Worse);
  EXPECT_EQ(judge(2.0, 1.5, 0.25, false), Verdict::Same);
  EXPECT_EQ(judge(2.0, 1.4999, 0.25, false), Verdict::Better);
  EXPECT_EQ(verdict_name(Verdict::Worse), "worse");
}

TEST(BenchCompare, ToleranceFromTheRunsSpread) {
  const std::vector<double> one = {10}, one_floor = {20};
  EXPECT_DOUBLE_EQ(spread_tolerance(one, one_floor), 0.25);  // one repeat: the default
  // Ratios 0.4, 0.5, 0.6: range 0.2 over median 0.5, x 1.5 = 0.6.
  const std::vector<double> s = {4, 5, 6}, f = {10, 10, 10};
  EXPECT_DOUBLE_EQ(spread_tolerance(s, f), 0.6);
  const std::vector<double> wild = {1, 5, 9};
  EXPECT_DOUBLE_EQ(spread_tolerance(wild, f), 0.9);  // capped
  const std::vector<double> tight = {5, 5.01, 5.02};
  EXPECT_DOUBLE_EQ(spread_tolerance(tight, f), 0.25);  // at least the default
}

TEST(BenchCompare, OptionMismatchesIgnoreRepeatAndOpenRate) {
  const json a = {{"quick", false}, {"repeat", 3}, {"open_rate", 10000.0}, {"window", 16}};
  const json b = {{"quick", true}, {"repeat", 1}, {"open_rate", 2500}, {"window", 16}};
  const auto m = option_mismatches(a, b);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], "quick: false vs true");
  EXPECT_TRUE(option_mismatches(a, a).empty());
  EXPECT_EQ(option_mismatches(a, json::object()).size(), 2u);  // quick and window absent
}

// A report as flake-bench --json writes it, reduced to what compare reads.
json report(double w64_ratio, double p50_ratio, bool quick = false) {
  return {{"schema", "flake-bench/1"},
          {"target", "/home/someone/build/reference/flake-sidecar --port 0"},
          {"options", {{"quick", quick}, {"repeat", 1}, {"window", 16}}},
          {"figures",
           {{"ping_w64_per_s",
             {{"label", "w64"},
              {"unit", "req/s"},
              {"higher_is_better", true},
              {"sidecar", w64_ratio * 1000},
              {"floor", 1000},
              {"ratio_to_floor", w64_ratio},
              {"sidecar_samples", {w64_ratio * 1000}},
              {"floor_samples", {1000}}}},
            {"ping_w1_p50_us",
             {{"label", "p50"},
              {"unit", "us"},
              {"higher_is_better", false},
              {"sidecar", p50_ratio * 10},
              {"floor", 10},
              {"ratio_to_floor", p50_ratio},
              {"sidecar_samples", {p50_ratio * 10}},
              {"floor_samples", {10}}}},
            {"rss_idle_mib",
             {{"label", "rss"},
              {"unit", "MiB"},
              {"sidecar", 8},
              {"floor", nullptr},
              {"ratio_to_floor", nullptr}}}}},
          {"targets", json::array({{{"name", "some target"}, {"result", "pass"}}})},
          {"errors", json::array()}};
}

class CompareFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("flake-bench-compare-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string write(const std::string& name, const json& j) { return write(name, j.dump(2)); }

  // Runs the subcommand; keeps what it printed.
  int run(std::vector<std::string> args, bool baseline = false) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    const int status =
        baseline ? baseline_command(args, out, err) : compare_command(args, out, err);
    out_ = slurp(out);
    err_ = slurp(err);
    return status;
  }

  static std::string slurp(std::FILE* f) {
    std::string s;
    std::rewind(f);
    for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
    std::fclose(f);
    return s;
  }

  fs::path dir_;
  std::string out_, err_;
};

TEST_F(CompareFiles, SameRunIsNoRegression) {
  const std::string a = write("a.json", report(0.5, 1.2));
  EXPECT_EQ(run({a, a}), 0) << err_;
  EXPECT_NE(out_.find("0 regressed, 0 better, 2 the same"), std::string::npos) << out_;
  EXPECT_NE(out_.find("target pass  some target"), std::string::npos) << out_;
}

TEST_F(CompareFiles, RegressionAndImprovementAndTheToleranceOption) {
  const std::string old_run = write("old.json", report(0.5, 1.2));
  // Throughput ratio down 30 % (tolerance 25 %): worse; p50 ratio down 50 %: better.
  const std::string new_run = write("new.json", report(0.35, 0.6));
  EXPECT_EQ(run({old_run, new_run}), 1);
  EXPECT_NE(out_.find("REGRESSION ping_w64_per_s"), std::string::npos) << out_;
  EXPECT_NE(out_.find("worse (regression)"), std::string::npos) << out_;
  EXPECT_NE(out_.find("better"), std::string::npos) << out_;
  EXPECT_EQ(run({old_run, new_run, "--tolerance", "0.4"}), 0) << out_;
  EXPECT_EQ(run({"--tolerance", "0.29", old_run, new_run}), 1) << out_;
}

TEST_F(CompareFiles, BaselineAsOldSideCarriesItsTolerances) {
  const std::string run_path = write("run.json", report(0.5, 1.2));
  const std::string base = (dir_ / "baseline.json").string();
  ASSERT_EQ(run({run_path, base}, true), 0) << err_;
  std::ifstream in(base);
  json b = json::parse(in);
  EXPECT_EQ(b["schema"], "flake-bench-baseline/1");
  EXPECT_EQ(b["target"], "flake-sidecar --port 0");  // no directory of the machine that ran it
  EXPECT_EQ(b["ratios"].size(), 2u);                 // rss has no floor
  EXPECT_DOUBLE_EQ(b["ratios"]["ping_w64_per_s"]["tolerance"].get<double>(), 0.25);
  // A wider tolerance in the baseline turns the 30 % drop into "the same".
  b["ratios"]["ping_w64_per_s"]["tolerance"] = 0.5;
  const std::string wide = write("wide.json", b);
  EXPECT_EQ(run({wide, write("new.json", report(0.35, 1.2))}), 0) << out_ << err_;
  EXPECT_NE(out_.find("(baseline)"), std::string::npos);
}

TEST_F(CompareFiles, MissingFigureOnEitherSideIsBadInput) {
  json fewer = report(0.5, 1.2);
  fewer["figures"]["ping_w64_per_s"]["ratio_to_floor"] = nullptr;
  const std::string full = write("full.json", report(0.5, 1.2));
  const std::string part = write("part.json", fewer);
  EXPECT_EQ(run({full, part}), 2);
  EXPECT_NE(err_.find("figure ping_w64_per_s has a ratio to the floor in " + full + " but not in " +
                      part),
            std::string::npos)
      << err_;
  EXPECT_EQ(run({part, full}), 2);
  EXPECT_NE(err_.find("in " + full + " but not in " + part), std::string::npos) << err_;
}

// The CPU per 1,000 pings as flake-bench --json writes it: a ratio to the floor marked as not
// compared.
json with_cpu_ratio(json report, double ratio) {
  report["figures"]["cpu_s_per_1k_msgs"] = {{"label", "server CPU per 1k pings (window 64)"},
                                            {"unit", "CPU s"},
                                            {"higher_is_better", false},
                                            {"sidecar", ratio * 0.0005},
                                            {"floor", 0.0005},
                                            {"ratio_to_floor", ratio},
                                            {"ratio_compared", false},
                                            {"sidecar_samples", {ratio * 0.0005}},
                                            {"floor_samples", {0.0005}}};
  return report;
}

TEST_F(CompareFiles, ARatioMarkedNotComparedIsLeftOut) {
  // Against a report or baseline without it, and even when it has grown tenfold.
  const std::string plain = write("plain.json", report(0.5, 1.2));
  const std::string cpu = write("cpu.json", with_cpu_ratio(report(0.5, 1.2), 3));
  EXPECT_EQ(run({plain, cpu}), 0) << err_;
  EXPECT_EQ(run({cpu, plain}), 0) << err_;
  EXPECT_EQ(run({cpu, write("cpu10.json", with_cpu_ratio(report(0.5, 1.2), 30))}), 0) << err_;
  EXPECT_NE(out_.find("0 regressed, 0 better, 2 the same"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("cpu_s_per_1k_msgs"), std::string::npos) << out_;
  const std::string base = (dir_ / "baseline.json").string();
  ASSERT_EQ(run({cpu, base}, true), 0) << err_;
  std::ifstream in(base);
  const json b = json::parse(in);
  EXPECT_EQ(b["ratios"].size(), 2u);
  EXPECT_FALSE(b["ratios"].contains("cpu_s_per_1k_msgs"));
  json bad = with_cpu_ratio(report(0.5, 1.2), 3);
  bad["figures"]["cpu_s_per_1k_msgs"]["ratio_compared"] = "no";
  EXPECT_EQ(run({plain, write("bad.json", bad)}), 2);
  EXPECT_NE(err_.find("figures.cpu_s_per_1k_msgs.ratio_compared is not true or false"),
            std::string::npos)
      << err_;
}

TEST_F(CompareFiles, MismatchedOptionsAreBadInput) {
  const std::string a = write("a.json", report(0.5, 1.2, false));
  const std::string b = write("b.json", report(0.5, 1.2, true));
  EXPECT_EQ(run({a, b}), 2);
  EXPECT_NE(err_.find("options differ between " + a + " and " + b), std::string::npos) << err_;
  EXPECT_NE(err_.find("\n  quick: false vs true"), std::string::npos) << err_;
}

TEST_F(CompareFiles, MissingOrMalformedFilesAreBadInput) {
  const std::string good = write("good.json", report(0.5, 1.2));
  EXPECT_EQ(run({good, (dir_ / "absent.json").string()}), 2);
  EXPECT_NE(err_.find("absent.json: cannot open"), std::string::npos) << err_;
  EXPECT_EQ(run({write("trunc.json", std::string("{\"schema\": \"flake-")), good}), 2);
  EXPECT_NE(err_.find("trunc.json: not valid JSON"), std::string::npos) << err_;
  EXPECT_EQ(run({write("other.json", json{{"schema", "x/1"}}), good}), 2);
  EXPECT_NE(err_.find("other.json: schema x/1 is neither"), std::string::npos) << err_;
  json bad = report(0.5, 1.2);
  bad["figures"]["ping_w64_per_s"]["ratio_to_floor"] = "fast";
  EXPECT_EQ(run({good, write("bad.json", bad)}), 2);
  EXPECT_NE(err_.find("figures.ping_w64_per_s.ratio_to_floor is not a number"), std::string::npos)
      << err_;
  const json bad_base = {{"schema", "flake-bench-baseline/1"},
                         {"ratios", {{"x", {{"ratio", 1}, {"tolerance", "wide"}}}}}};
  EXPECT_EQ(run({write("bad_base.json", bad_base), good}), 2);
  EXPECT_NE(err_.find("ratios.x.tolerance"), std::string::npos) << err_;
}

TEST_F(CompareFiles, UsageErrors) {
  const std::string good = write("good.json", report(0.5, 1.2));
  EXPECT_EQ(run({good}), 2);
  EXPECT_EQ(run({good, good, "--tolerance", "x"}), 2);
  EXPECT_EQ(run({good, good, "--bogus"}), 2);
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(out_.find("usage: flake-bench compare"), std::string::npos);
}

TEST_F(CompareFiles, BaselineRefusesARunWithErrorsOrNoRatios) {
  json failed = report(0.5, 1.2);
  failed["errors"] = {"floor open loop: timed out"};
  EXPECT_EQ(run({write("failed.json", failed), (dir_ / "b.json").string()}, true), 2);
  EXPECT_NE(err_.find("the run had errors"), std::string::npos) << err_;
  json no_floor = report(0.5, 1.2);
  no_floor["figures"].erase("ping_w64_per_s");
  no_floor["figures"].erase("ping_w1_p50_us");
  EXPECT_EQ(run({write("nofloor.json", no_floor), (dir_ / "b.json").string()}, true), 2);
  EXPECT_NE(err_.find("--floor"), std::string::npos) << err_;
}

}  // namespace
}  // namespace flake::bench
