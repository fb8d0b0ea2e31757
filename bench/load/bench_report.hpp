// flake-bench's results: figures per target (medians over repeats), latency summaries, the
// reference's targets with pass/miss, printed as a table and written as JSON (schema
// "flake-bench/1").
#pragma once

#include "bench/load/histogram.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::bench {

enum class Side { Sidecar, Floor };

struct Figure {
  std::string key;
  std::string label;
  std::string unit;
  bool higher_better = true;
  std::vector<double> sidecar;  // one sample per repeat
  std::vector<double> floor;
};

std::optional<double> median(std::vector<double> samples);

// Whether `flake-bench compare` and `baseline` judge the figure's ratio to the floor (the JSON's
// "ratio_compared"). Every ratio but the CPU per 1,000 pings': its sidecar side is read from /proc
// in 10 ms clock ticks, a few ticks in a --quick run, and no checked-in baseline holds it.
bool ratio_compared(std::string_view key);

// A figure for tables: "1.23 M", "45.6 k", "789", "1.23"; "-" for none.
std::string format_value(std::optional<double> v);

// How a report names the sidecar binary it started: relative to the build directory when it lies
// there ("reference/flake-sidecar"), else a relative path as given, else its file name; never an
// absolute path, so that reports and the baseline made from them say nothing of one machine.
std::string target_name(std::string_view bin, std::string_view build_dir);

struct TargetCheck {
  std::string name;             // as docs/benchmarks.md names it
  std::string figure;           // the key it reads
  std::string rule;             // e.g. "<= 15 us above the floor"
  std::optional<double> value;  // nullopt: not measured in this run
  bool pass = false;
  // Judges the run rather than the sidecar (is the client fast enough to measure it?): printed
  // "ok" or "note", never MISS. The client ceiling is one: floor/sidecar >= 2 cannot hold together
  // with the window-64 target (sidecar/floor >= 0.70 means floor/sidecar <= 1.43).
  bool about_measurement = false;
};

struct BenchResults {
  std::string target;  // what was measured
  std::string notes;   // e.g. the rate limiter being off
  std::vector<Figure> figures;
  std::map<std::string, Histogram> latency_sidecar;  // ns, merged over repeats
  std::map<std::string, Histogram> latency_floor;
  std::vector<TargetCheck> targets;
  std::vector<std::string> errors;
  nlohmann::json options;
  unsigned repeats = 1;

  void add(Side side, const std::string& key, const std::string& label, const std::string& unit,
           bool higher_better, double value);
  const Figure* find(const std::string& key) const;
  std::optional<double> value(const std::string& key, Side side) const;
};

// Fills `targets` from the figures (docs/benchmarks.md, "Targets for the reference").
void evaluate_targets(BenchResults& r);

// The histogram's curve for plots: (percentile, µs) every tenth of a nine (p0, p20.6, ..., p90,
// ..., p99, ...) plus p50, up to the last sample's rank (log10(count) nines, at most 7).
struct PercentilePoint {
  double percentile;
  double micros;
};
std::vector<PercentilePoint> percentile_points(const Histogram& h);

void print_report(const BenchResults& r, std::FILE* out);
nlohmann::json report_json(const BenchResults& r);

// nproc, CPU model, kernel, date: written beside every figure.
nlohmann::json machine_description();

}  // namespace flake::bench
