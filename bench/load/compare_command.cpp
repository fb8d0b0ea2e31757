// flake-bench's subcommands on JSON files, `compare` and `baseline`: argument checks, the table a
// person reads, and exit statuses that scripts/bench.sh and CI act on.
#include "bench/load/bench_compare.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>

namespace flake::bench {
namespace {

constexpr int kNoRegression = 0, kRegression = 1, kBadInput = 2;

constexpr const char* kCompareUsage =
    "usage: flake-bench compare OLD.json NEW.json [--tolerance T]\n"
    "\n"
    "Compares every figure's ratio to the floor (sidecar / floor, measured in the same run) of\n"
    "NEW with OLD. Each file is a flake-bench --json report or a baseline such as\n"
    "bench/baseline.json. A figure is worse (a regression) when its new ratio is on the bad side\n"
    "of old x (1 - T) (higher is better) or old x (1 + T) (lower is better), better when it is as\n"
    "far on the good side, and the same otherwise.\n"
    "  --tolerance T   relative tolerance for every figure (default: OLD's own: a baseline's\n"
    "                  per-figure tolerance; for a report 1.5 x the spread of its per-repeat\n"
    "                  ratios, 0.25 to 0.9)\n"
    "Both sides must hold the same figures and have been run with the same options (--repeat and\n"
    "the open-loop rate aside). A ratio a report marks \"ratio_compared\": false (the CPU per\n"
    "1,000 pings) is printed in the report only, never compared.\n"
    "Exit status: 0 no figure regressed, 1 some regressed, 2 bad input (a missing or malformed\n"
    "file, mismatched options, a figure on one side only).\n";

constexpr const char* kBaselineUsage =
    "usage: flake-bench baseline RUN.json OUT.json\n"
    "\n"
    "Writes the baseline that `compare` reads (schema flake-bench-baseline/1, as\n"
    "bench/baseline.json) from a flake-bench --json report made with --floor: every figure's\n"
    "ratio to the floor, its tolerance (1.5 x the spread of the run's per-repeat ratios, 0.25 to\n"
    "0.9), the absolute figures beside it, the machine, the options and the targets.\n"
    "Exit status: 0 written, 2 bad input (the run had errors or no ratios) or a write error.\n";

bool is_help(std::span<const std::string> args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

std::string text_of(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string("?");
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.0f%%", v * 100);
  return buf;
}

std::string ratio_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

int compare_command(std::span<const std::string> args, std::FILE* out, std::FILE* err) {
  if (is_help(args)) {
    std::fputs(kCompareUsage, out);
    return kNoRegression;
  }
  std::vector<std::string> files;
  std::optional<double> tolerance;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--tolerance") {
      char* end = nullptr;
      const std::string v = i + 1 < args.size() ? args[++i] : "";
      const double t = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(t >= 0 && t <= 10)) {
        std::fprintf(err, "flake-bench compare: --tolerance needs a number from 0 to 10\n");
        return kBadInput;
      }
      tolerance = t;
    } else if (!args[i].empty() && args[i][0] == '-') {
      std::fprintf(err, "flake-bench compare: unknown option %s\n\n%s", args[i].c_str(),
                   kCompareUsage);
      return kBadInput;
    } else {
      files.push_back(args[i]);
    }
  }
  if (files.size() != 2) {
    std::fprintf(err, "flake-bench compare: give two files, OLD and NEW\n\n%s", kCompareUsage);
    return kBadInput;
  }
  std::string error;
  const auto old_set = read_ratios(files[0], error);
  if (!old_set) {
    std::fprintf(err, "flake-bench compare: %s\n", error.c_str());
    return kBadInput;
  }
  const auto new_set = read_ratios(files[1], error);
  if (!new_set) {
    std::fprintf(err, "flake-bench compare: %s\n", error.c_str());
    return kBadInput;
  }

  // Input problems first, all of them: a comparison of unlike runs would mislead.
  std::vector<std::string> problems;
  const auto mismatches = option_mismatches(old_set->options, new_set->options);
  if (!mismatches.empty()) {
    std::string list;
    for (const auto& m : mismatches) list += "\n  " + m;
    problems.push_back("options differ between " + files[0] + " and " + files[1] +
                       " (run sizes change the ratios: compare like with like):" + list);
  }
  for (const auto& [key, e] : old_set->ratios) {
    if (!new_set->ratios.count(key)) {
      problems.push_back("figure " + key + " has a ratio to the floor in " + files[0] +
                         " but not in " + files[1]);
    }
  }
  for (const auto& [key, e] : new_set->ratios) {
    if (!old_set->ratios.count(key)) {
      problems.push_back("figure " + key + " has a ratio to the floor in " + files[1] +
                         " but not in " + files[0]);
    }
  }
  if (old_set->ratios.empty()) problems.push_back(files[0] + " holds no ratio to the floor");
  for (const auto& p : problems) std::fprintf(err, "flake-bench compare: %s\n", p.c_str());
  if (!problems.empty()) return kBadInput;

  std::fprintf(out, "flake-bench compare: ratios to the floor, %s (%s) -> %s (%s)\n",
               files[0].c_str(), old_set->kind.c_str(), files[1].c_str(), new_set->kind.c_str());
  const auto rate = [](const RatioSet& s) {
    return s.options.value("open_rate", nlohmann::json());
  };
  if (rate(*old_set) != rate(*new_set)) {
    std::fprintf(out, "note: open-loop rates differ (%s vs %s req/s)\n",
                 rate(*old_set).dump().c_str(), rate(*new_set).dump().c_str());
  }
  std::fprintf(out, "%-24s %10s %10s %8s %10s  %s\n", "figure", "old ratio", "new ratio", "change",
               "tolerance", "verdict");
  std::vector<std::string> regressions;
  int better = 0, same = 0;
  for (const auto& [key, o] : old_set->ratios) {
    const RatioEntry& n = new_set->ratios.at(key);
    const double tol = tolerance.value_or(o.tolerance);
    // The new run's direction wins, as the figure's definition lives with the code that measured
    // it.
    const Verdict v = judge(o.ratio, n.ratio, tol, n.higher_is_better);
    const double change = o.ratio != 0 ? (n.ratio - o.ratio) / o.ratio : 0.0;
    char tol_text[16];
    std::snprintf(tol_text, sizeof tol_text, "%.0f%%", tol * 100);
    std::fprintf(out, "%-24s %10s %10s %8s %10s  %s\n", key.c_str(), ratio_text(o.ratio).c_str(),
                 ratio_text(n.ratio).c_str(), percent(change).c_str(), tol_text,
                 v == Verdict::Worse ? "worse (regression)" : std::string(verdict_name(v)).c_str());
    if (v == Verdict::Worse) {
      regressions.push_back(key + ": ratio to the floor " + ratio_text(n.ratio) + ", was " +
                            ratio_text(o.ratio) + " (" + (n.higher_is_better ? "higher" : "lower") +
                            " is better, tolerance " + tol_text + ")");
    }
    if (v == Verdict::Better) ++better;
    if (v == Verdict::Same) ++same;
  }
  for (const auto& t : new_set->targets) {
    if (!t.is_object()) continue;
    std::fprintf(out, "  target %-5s %s\n", text_of(t, "result").c_str(),
                 text_of(t, "name").c_str());
  }
  for (const auto& e : new_set->errors) {
    std::fprintf(out, "note: %s had a run error: %s\n", files[1].c_str(), e.c_str());
  }
  for (const auto& r : regressions) std::fprintf(out, "REGRESSION %s\n", r.c_str());
  std::fprintf(out, "%zu regressed, %d better, %d the same\n", regressions.size(), better, same);
  return regressions.empty() ? kNoRegression : kRegression;
}

int baseline_command(std::span<const std::string> args, std::FILE* out, std::FILE* err) {
  if (is_help(args)) {
    std::fputs(kBaselineUsage, out);
    return 0;
  }
  if (args.size() != 2) {
    std::fprintf(err, "flake-bench baseline: give RUN.json and OUT.json\n\n%s", kBaselineUsage);
    return kBadInput;
  }
  std::ifstream in(args[0], std::ios::binary);
  if (!in) {
    std::fprintf(err, "flake-bench baseline: %s: cannot open (missing or unreadable)\n",
                 args[0].c_str());
    return kBadInput;
  }
  const auto report = nlohmann::json::parse(in, nullptr, false);
  std::string error;
  const auto baseline = report.is_discarded() ? std::nullopt : baseline_from_report(report, error);
  if (!baseline) {
    std::fprintf(err, "flake-bench baseline: %s: %s\n", args[0].c_str(),
                 report.is_discarded() ? "not valid JSON" : error.c_str());
    return kBadInput;
  }
  std::ofstream file(args[1]);
  file << baseline->dump(2) << "\n";
  if (!file.flush()) {
    std::fprintf(err, "flake-bench baseline: cannot write %s\n", args[1].c_str());
    return kBadInput;
  }
  std::fprintf(out, "wrote %s (%zu ratios)\n", args[1].c_str(), (*baseline)["ratios"].size());
  return 0;
}

}  // namespace flake::bench
