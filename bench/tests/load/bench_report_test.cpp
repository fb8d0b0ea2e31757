// The report: medians over repeats, target evaluation from figures, and the JSON's shape.
#include "bench/load/bench_report.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <regex>
#include <stdexcept>

namespace flake::bench {
namespace {

TEST(BenchReport, MedianIgnoresNaNAndHandlesEvenCounts) {
  EXPECT_FALSE(median({}).has_value());
  EXPECT_FALSE(median({NAN}).has_value());
  EXPECT_DOUBLE_EQ(*median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(*median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(*median({5, NAN, 1}), 3);
}

BenchResults sample_results(double w64_sidecar, double w64_floor) {
  BenchResults r;
  r.add(Side::Sidecar, "ping_w1_p50_us", "p50", "us", false, 24);
  r.add(Side::Floor, "ping_w1_p50_us", "p50", "us", false, 20);
  r.add(Side::Sidecar, "ping_w64_per_s", "w64", "req/s", true, w64_sidecar);
  r.add(Side::Floor, "ping_w64_per_s", "w64", "req/s", true, w64_floor);
  r.add(Side::Sidecar, "log_entries_per_s", "logs", "entries/s", true, 1.5e6);
  r.add(Side::Sidecar, "connect_auth_p50_ms", "connect", "ms", false, 1.5);
  r.add(Side::Sidecar, "rss_idle_mib", "rss", "MiB", false, 8);
  r.add(Side::Sidecar, "getlarge_mb_per_s", "large", "MB/s", true, 1250);
  r.add(Side::Sidecar, "ping_cxw_per_s", "cxw", "req/s", true, 40'000);
  r.add(Side::Floor, "ping_cxw_per_s", "cxw", "req/s", true, 100'000);
  r.add(Side::Sidecar, "cpu_s_per_1k_msgs", "cpu", "CPU s", false, 0.0008);
  return r;
}

const TargetCheck& target(const BenchResults& r, const std::string& figure, std::size_t nth = 0) {
  for (const auto& t : r.targets) {
    if (t.figure == figure && nth-- == 0) return t;
  }
  throw std::runtime_error("no target for " + figure);
}

TEST(BenchReport, TargetsPassMissAndNotMeasured) {
  BenchResults r = sample_results(80'000, 100'000);
  evaluate_targets(r);
  ASSERT_EQ(r.targets.size(), 10u);
  EXPECT_TRUE(target(r, "ping_w1_p50_us").pass);  // 4 us above the floor
  EXPECT_DOUBLE_EQ(*target(r, "ping_w1_p50_us").value, 4);
  EXPECT_TRUE(target(r, "ping_w64_per_s").pass);      // 0.8 of the floor
  EXPECT_FALSE(target(r, "ping_w64_per_s", 1).pass);  // but the floor is not 2x the sidecar
  EXPECT_TRUE(target(r, "ping_w64_per_s", 1).about_measurement);  // a note, not a miss
  EXPECT_FALSE(target(r, "ping_w64_per_s").about_measurement);
  EXPECT_EQ(report_json(r)["targets"][9]["result"], "note");
  EXPECT_TRUE(target(r, "log_entries_per_s").pass);
  EXPECT_FALSE(target(r, "connect_auth_p50_ms").pass);
  EXPECT_TRUE(target(r, "rss_idle_mib").pass);
  EXPECT_TRUE(target(r, "getlarge_mb_per_s").pass);
  EXPECT_FALSE(target(r, "ping_cxw_per_s").pass);  // 0.4 of the floor
  EXPECT_DOUBLE_EQ(*target(r, "ping_cxw_per_s").value, 0.4);
  EXPECT_TRUE(target(r, "cpu_s_per_1k_msgs").pass);
  EXPECT_FALSE(target(r, "rss_64_streaming_mib").value.has_value());
  BenchResults slow = sample_results(80'000, 100'000);
  slow.add(Side::Sidecar, "ping_w1_p50_us", "p50", "us", false, 25);  // median 25: 5 us over
  slow.add(Side::Sidecar, "ping_w1_p50_us", "p50", "us", false, 40);
  slow.add(Side::Sidecar, "getlarge_mb_per_s", "large", "MB/s", true, 900);
  slow.add(Side::Sidecar, "getlarge_mb_per_s", "large", "MB/s", true, 800);
  slow.add(Side::Sidecar, "cpu_s_per_1k_msgs", "cpu", "CPU s", false, 0.0011);
  slow.add(Side::Sidecar, "cpu_s_per_1k_msgs", "cpu", "CPU s", false, 0.0012);
  evaluate_targets(slow);
  EXPECT_TRUE(target(slow, "ping_w1_p50_us").pass);  // the bound itself passes
  EXPECT_FALSE(target(slow, "getlarge_mb_per_s").pass);
  EXPECT_FALSE(target(slow, "cpu_s_per_1k_msgs").pass);
}

TEST(BenchReport, RepeatsAreMedianedAndJsonCarriesRatios) {
  BenchResults r = sample_results(10'000, 100'000);
  r.add(Side::Sidecar, "ping_w64_per_s", "w64", "req/s", true, 30'000);
  r.add(Side::Sidecar, "ping_w64_per_s", "w64", "req/s", true, 20'000);
  r.latency_sidecar["ping_w1"].record(20'000);
  evaluate_targets(r);
  const nlohmann::json j = report_json(r);
  EXPECT_EQ(j["schema"], "flake-bench/1");
  EXPECT_DOUBLE_EQ(j["figures"]["ping_w64_per_s"]["sidecar"].get<double>(), 20'000);
  EXPECT_DOUBLE_EQ(j["figures"]["ping_w64_per_s"]["ratio_to_floor"].get<double>(), 0.2);
  EXPECT_EQ(j["figures"]["ping_w64_per_s"]["sidecar_samples"].size(), 3u);
  EXPECT_TRUE(j["figures"]["log_entries_per_s"]["floor"].is_null());
  EXPECT_DOUBLE_EQ(j["latency"]["ping_w1"]["sidecar"]["p50_us"].get<double>(), 20.0);
  EXPECT_EQ(j["targets"].size(), 10u);
  EXPECT_EQ(j["targets"][9]["result"], "pass");          // floor 5x the sidecar
  EXPECT_EQ(j["targets"][7]["result"], "not measured");  // RSS streaming
  EXPECT_TRUE(j["machine"].contains("nproc"));
}

TEST(BenchReport, CpuPer1kPingsHasAFloorAndARatioThatCompareLeavesOut) {
  BenchResults r = sample_results(80'000, 100'000);
  r.add(Side::Floor, "cpu_s_per_1k_msgs", "cpu", "CPU s", false, 0.0004);
  evaluate_targets(r);
  EXPECT_DOUBLE_EQ(*target(r, "cpu_s_per_1k_msgs").value, 0.0008);  // the target judges the sidecar
  const nlohmann::json j = report_json(r);
  const nlohmann::json& cpu = j["figures"]["cpu_s_per_1k_msgs"];
  EXPECT_DOUBLE_EQ(cpu["floor"].get<double>(), 0.0004);
  EXPECT_DOUBLE_EQ(cpu["ratio_to_floor"].get<double>(), 2.0);
  EXPECT_EQ(cpu["ratio_compared"], false);
  EXPECT_EQ(j["figures"]["ping_w64_per_s"]["ratio_compared"], true);
  EXPECT_EQ(j["figures"]["rss_idle_mib"]["ratio_compared"], false);  // no floor, no ratio
  EXPECT_FALSE(ratio_compared("cpu_s_per_1k_msgs"));
  EXPECT_TRUE(ratio_compared("ping_w1_p50_us"));
}

TEST(BenchReport, TablePrintsTheFloorsCpuAndTheRatio) {
  BenchResults r;
  r.add(Side::Sidecar, "cpu_s_per_1k_msgs", "server CPU per 1k pings (window 64)", "CPU s", false,
        0.0015);
  r.add(Side::Floor, "cpu_s_per_1k_msgs", "server CPU per 1k pings (window 64)", "CPU s", false,
        0.0005);
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  print_report(r, out);
  std::string text;
  std::rewind(out);
  for (int c; (c = std::fgetc(out)) != EOF;) text += static_cast<char>(c);
  std::fclose(out);
  const std::regex row(
      R"(\nserver CPU per 1k pings \(window 64\) +0\.0015 +0\.0005 +3\.00 +CPU s\n)");
  EXPECT_TRUE(std::regex_search(text, row)) << text;
}

}  // namespace
}  // namespace flake::bench
