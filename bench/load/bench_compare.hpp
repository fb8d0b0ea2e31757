// Comparing flake-bench runs: every figure's ratio to the floor from two reports (schema
// "flake-bench/1") or a baseline (schema "flake-bench-baseline/1", bench/baseline.json), verdicts
// against a relative tolerance, and the baseline made from a report.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flake::bench {

constexpr double kDefaultTolerance = 0.25;

struct RatioEntry {
  double ratio = 0;
  double tolerance = kDefaultTolerance;  // the baseline's own, or derived from a report's spread
  bool higher_is_better = true;
};

// One side of a comparison: the figures that have a ratio to the floor, plus what to print.
struct RatioSet {
  std::string kind;  // "report" or "baseline"
  nlohmann::json options;
  std::map<std::string, RatioEntry> ratios;
  nlohmann::json targets;           // as the file has them, for printing
  std::vector<std::string> errors;  // a report's run errors
};

// From a parsed report or baseline; nullopt with `error` naming what is malformed.
std::optional<RatioSet> ratios_from_json(const nlohmann::json& j, std::string& error);
// Reads and parses `path`; nullopt with `error` on a missing, unreadable or malformed file.
std::optional<RatioSet> read_ratios(const std::string& path, std::string& error);

// A figure's tolerance from a run's per-repeat ratios: 1.5 x their range over their median, at
// least kDefaultTolerance and at most 0.9, rounded to hundredths (one sample: the default).
double spread_tolerance(std::span<const double> sidecar, std::span<const double> floor);

enum class Verdict { Better, Same, Worse };
std::string_view verdict_name(Verdict v);
// Worse when the new ratio is on the bad side of old x (1 -/+ tolerance); better when it is as far
// on the good side; exactly at the boundary is the same.
Verdict judge(double old_ratio, double new_ratio, double tolerance, bool higher_is_better);

// Run options that change what a ratio means (sizes, --quick, --floor), differing between the two
// sides: one line each, "quick: false vs true". --repeat and the open-loop rate (derived from the
// machine's own throughput by default) are not compared.
std::vector<std::string> option_mismatches(const nlohmann::json& old_options,
                                           const nlohmann::json& new_options);

// The baseline bench/baseline.json holds, made from a report; nullopt with `error` when the run
// had errors or holds no ratio. Absolute paths in its "target" are cut to file names.
std::optional<nlohmann::ordered_json> baseline_from_report(const nlohmann::json& report,
                                                           std::string& error);

// `flake-bench compare OLD NEW [--tolerance T]` and `flake-bench baseline RUN OUT`, `args` being
// what follows the subcommand. Exit status: 0 none regressed, 1 some regressed, 2 bad input.
int compare_command(std::span<const std::string> args, std::FILE* out, std::FILE* err);
int baseline_command(std::span<const std::string> args, std::FILE* out, std::FILE* err);

}  // namespace flake::bench
