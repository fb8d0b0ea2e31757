// CI's load check against the checked-in bench/baseline-quick.json: a run at the baseline's ratios
// passes, and for every figure a ratio just past its tolerance fails the check (exit 1) while one
// just inside it does not, so the CI step can fail and fails only on what the baseline allows.
#include "bench/load/bench_compare.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifndef FLAKE_SOURCE_DIR
#error "FLAKE_SOURCE_DIR must name the source tree"
#endif

namespace flake::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json quick_baseline() {
  std::ifstream in(fs::path(FLAKE_SOURCE_DIR) / "bench" / "baseline-quick.json");
  return json::parse(in, nullptr, false);
}

// A flake-bench --json report as a --quick run writes it, reduced to what compare reads, with the
// baseline's options and every figure at the baseline's ratio except `changed` at `ratio`.
json report_like(const json& baseline, const std::string& changed = "", double ratio = 0) {
  json figures = json::object();
  for (const auto& [key, b] : baseline["ratios"].items()) {
    const double r = key == changed ? ratio : b["ratio"].get<double>();
    figures[key] = {{"higher_is_better", b["higher_is_better"]},
                    {"ratio_to_floor", r},
                    {"sidecar", r},
                    {"floor", 1.0},
                    {"sidecar_samples", {r}},
                    {"floor_samples", {1.0}}};
  }
  return {{"schema", "flake-bench/1"},
          {"options", baseline["options"]},
          {"figures", figures},
          {"targets", json::array()},
          {"errors", json::array()}};
}

class QuickBaseline : public ::testing::Test {
 protected:
  void SetUp() override {
    baseline_ = quick_baseline();
    ASSERT_FALSE(baseline_.is_discarded()) << "bench/baseline-quick.json is not valid JSON";
    path_ = (fs::path(FLAKE_SOURCE_DIR) / "bench" / "baseline-quick.json").string();
    run_path_ =
        (fs::temp_directory_path() / ("flake-bench-ci-" + std::to_string(::getpid()) + ".json"))
            .string();
  }
  void TearDown() override { fs::remove(run_path_); }

  int compare_with(const json& run) {
    std::ofstream(run_path_) << run.dump();
    std::FILE* out = std::tmpfile();
    const std::vector<std::string> args = {path_, run_path_};
    const int status = compare_command(args, out, out);
    out_.clear();
    std::rewind(out);
    for (int c; (c = std::fgetc(out)) != EOF;) out_ += static_cast<char>(c);
    std::fclose(out);
    return status;
  }

  json baseline_;
  std::string path_, run_path_, out_;
};

TEST_F(QuickBaseline, IsAQuickBaselineWithTolerances) {
  EXPECT_EQ(baseline_["schema"], "flake-bench-baseline/1");
  EXPECT_EQ(baseline_["options"]["quick"], true);
  EXPECT_EQ(baseline_["options"]["floor"], true);
  ASSERT_GE(baseline_["ratios"].size(), 8u);
  for (const auto& [key, b] : baseline_["ratios"].items()) {
    EXPECT_GT(b["tolerance"].get<double>(), 0) << key;
    if (b["higher_is_better"].get<bool>()) {
      EXPECT_LT(b["tolerance"].get<double>(), 1) << key;
    }
  }
}

TEST_F(QuickBaseline, RunAtTheBaselineRatiosPasses) {
  EXPECT_EQ(compare_with(report_like(baseline_)), 0) << out_;
  EXPECT_NE(out_.find("0 regressed"), std::string::npos) << out_;
}

TEST_F(QuickBaseline, EachFigureFailsJustPastItsToleranceAndPassesJustInside) {
  for (const auto& [key, b] : baseline_["ratios"].items()) {
    const double old = b["ratio"].get<double>(), tol = b["tolerance"].get<double>();
    const bool higher = b["higher_is_better"].get<bool>();
    // The bad-side bound, old x (1 - tol) or old x (1 + tol), and 2 % either side of it.
    const double bound = higher ? old * (1 - tol) : old * (1 + tol);
    const double past = higher ? bound * 0.98 : bound * 1.02;
    const double inside = higher ? bound * 1.02 : bound * 0.98;
    EXPECT_EQ(compare_with(report_like(baseline_, key, past)), 1) << key << "\n" << out_;
    EXPECT_NE(out_.find("REGRESSION " + key + ":"), std::string::npos) << out_;
    EXPECT_NE(out_.find("1 regressed"), std::string::npos) << out_;
    EXPECT_EQ(compare_with(report_like(baseline_, key, inside)), 0) << key << "\n" << out_;
  }
}

TEST_F(QuickBaseline, TheCpuRatioARunPrintsIsNotChecked) {
  // A run reports the sidecar's CPU per 1,000 pings over the floor's, marked as not compared: the
  // baseline holds no such ratio, and the check stays the baseline's figures.
  ASSERT_FALSE(baseline_["ratios"].contains("cpu_s_per_1k_msgs"));
  json run = report_like(baseline_);
  run["figures"]["cpu_s_per_1k_msgs"] = {{"higher_is_better", false}, {"ratio_to_floor", 40.0},
                                         {"ratio_compared", false},   {"sidecar", 0.02},
                                         {"floor", 0.0005},           {"sidecar_samples", {0.02}},
                                         {"floor_samples", {0.0005}}};
  EXPECT_EQ(compare_with(run), 0) << out_;
  EXPECT_NE(out_.find("0 regressed"), std::string::npos) << out_;
}

TEST_F(QuickBaseline, AFullSizeRunIsNotComparedWithIt) {
  json full = report_like(baseline_);
  full["options"]["quick"] = false;
  EXPECT_EQ(compare_with(full), 2);
}

}  // namespace
}  // namespace flake::bench
