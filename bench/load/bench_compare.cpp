// Reading the two sides of a comparison, the verdict rule and the baseline maker: a ratio worse
// than old x (1 -/+ tolerance) is a regression, tolerances come from the baseline run's own spread.
// The one implementation: bench/compare.py (load, baseline) and scripts/bench.sh call this.
#include "bench/load/bench_compare.hpp"

#include "bench/load/bench_report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace flake::bench {
namespace {

using nlohmann::json;

constexpr std::string_view kReportSchema = "flake-bench/1";
constexpr std::string_view kBaselineSchema = "flake-bench-baseline/1";

bool finite_number(const json& j) {
  return j.is_number() && std::isfinite(j.get<double>());
}

std::vector<double> numbers(const json& j, const char* key) {
  std::vector<double> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) out.push_back(finite_number(v) ? v.get<double>() : NAN);
  return out;
}

// Reads "higher_is_better" when present; a non-boolean is malformed.
bool direction(const json& f, const std::string& where, bool& higher, std::string& error) {
  const auto it = f.find("higher_is_better");
  if (it == f.end()) return true;
  if (!it->is_boolean()) {
    error = where + ".higher_is_better is not true or false";
    return false;
  }
  higher = it->get<bool>();
  return true;
}

bool read_report(const json& j, RatioSet& set, std::string& error) {
  const auto figures = j.find("figures");
  if (figures == j.end() || !figures->is_object()) {
    error = "no \"figures\" object";
    return false;
  }
  for (const auto& [key, f] : figures->items()) {
    const std::string where = "figures." + key;
    if (!f.is_object()) {
      error = where + " is not an object";
      return false;
    }
    const auto r = f.find("ratio_to_floor");
    if (r == f.end() || r->is_null()) continue;  // a figure without a floor (RSS, fan-out)
    // A ratio the report marks as printed only (reports written before the mark: all compared).
    if (const auto c = f.find("ratio_compared"); c != f.end()) {
      if (!c->is_boolean()) {
        error = where + ".ratio_compared is not true or false";
        return false;
      }
      if (!c->get<bool>()) continue;
    }
    if (!finite_number(*r)) {
      error = where + ".ratio_to_floor is not a number";
      return false;
    }
    RatioEntry e{r->get<double>(), kDefaultTolerance, true};
    if (!direction(f, where, e.higher_is_better, error)) return false;
    const auto s = numbers(f, "sidecar_samples"), fl = numbers(f, "floor_samples");
    e.tolerance = spread_tolerance(s, fl);
    set.ratios[key] = e;
  }
  const auto errors = j.find("errors");
  if (errors != j.end() && errors->is_array()) {
    for (const auto& e : *errors) {
      set.errors.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    }
  }
  return true;
}

bool read_baseline(const json& j, RatioSet& set, std::string& error) {
  const auto ratios = j.find("ratios");
  if (ratios == j.end() || !ratios->is_object()) {
    error = "no \"ratios\" object";
    return false;
  }
  for (const auto& [key, b] : ratios->items()) {
    const std::string where = "ratios." + key;
    const auto r = b.is_object() ? b.find("ratio") : b.end();
    if (!b.is_object() || r == b.end() || !finite_number(*r)) {
      error = where + ".ratio is missing or not a number";
      return false;
    }
    RatioEntry e{r->get<double>(), kDefaultTolerance, true};
    if (const auto t = b.find("tolerance"); t != b.end()) {
      if (!finite_number(*t) || t->get<double>() < 0) {
        error = where + ".tolerance is not a number >= 0";
        return false;
      }
      e.tolerance = t->get<double>();
    }
    if (!direction(b, where, e.higher_is_better, error)) return false;
    set.ratios[key] = e;
  }
  return true;
}

// "/work/x/build/reference/flake-sidecar --port 0" -> "flake-sidecar --port 0": a checked-in
// baseline names no directory of the machine that made it.
std::string without_absolute_paths(const std::string& text) {
  std::istringstream in(text);
  std::string out, word;
  while (in >> word) {
    if (!out.empty()) out += ' ';
    out += word.size() > 1 && word.front() == '/' ? target_name(word, "") : word;
  }
  return out;
}

}  // namespace

std::optional<RatioSet> ratios_from_json(const json& j, std::string& error) {
  if (!j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const auto schema = j.find("schema");
  const std::string name =
      schema != j.end() && schema->is_string() ? schema->get<std::string>() : std::string("(none)");
  RatioSet set;
  if (name == kReportSchema) {
    set.kind = "report";
    if (!read_report(j, set, error)) return std::nullopt;
  } else if (name == kBaselineSchema) {
    set.kind = "baseline";
    if (!read_baseline(j, set, error)) return std::nullopt;
  } else {
    error = "schema " + name + " is neither " + std::string(kReportSchema) + " (a flake-bench " +
            "--json report) nor " + std::string(kBaselineSchema) + " (a baseline)";
    return std::nullopt;
  }
  const auto options = j.find("options");
  set.options = options != j.end() && options->is_object() ? *options : json::object();
  const auto targets = j.find("targets");
  set.targets = targets != j.end() && targets->is_array() ? *targets : json::array();
  return set;
}

std::optional<RatioSet> read_ratios(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open (missing or unreadable)";
    return std::nullopt;
  }
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) {
    error = path + ": not valid JSON";
    return std::nullopt;
  }
  auto set = ratios_from_json(j, error);
  if (!set) error = path + ": " + error;
  return set;
}

double spread_tolerance(std::span<const double> sidecar, std::span<const double> floor) {
  std::vector<double> pairs;
  for (std::size_t i = 0; i < std::min(sidecar.size(), floor.size()); ++i) {
    if (floor[i] != 0 && !std::isnan(floor[i]) && !std::isnan(sidecar[i])) {
      pairs.push_back(sidecar[i] / floor[i]);
    }
  }
  double spread = 0;
  const auto mid = median(pairs);
  if (pairs.size() > 1 && mid && *mid != 0) {
    const auto [lo, hi] = std::minmax_element(pairs.begin(), pairs.end());
    spread = (*hi - *lo) / *mid;
  }
  return std::round(std::min(0.9, std::max(kDefaultTolerance, 1.5 * spread)) * 100) / 100;
}

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Better:
      return "better";
    case Verdict::Same:
      return "same";
    case Verdict::Worse:
      return "worse";
  }
  return "?";
}

Verdict judge(double old_ratio, double new_ratio, double tolerance, bool higher_is_better) {
  const double low = old_ratio * (1 - tolerance), high = old_ratio * (1 + tolerance);
  if (higher_is_better) {
    if (new_ratio < low) return Verdict::Worse;
    if (new_ratio > high) return Verdict::Better;
  } else {
    if (new_ratio > high) return Verdict::Worse;
    if (new_ratio < low) return Verdict::Better;
  }
  return Verdict::Same;
}

std::vector<std::string> option_mismatches(const json& a, const json& b) {
  static const std::set<std::string> kIgnored = {"repeat", "open_rate"};
  std::set<std::string> keys;
  for (const auto* o : {&a, &b}) {
    if (!o->is_object()) continue;
    for (const auto& [k, v] : o->items()) keys.insert(k);
  }
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (kIgnored.count(k)) continue;
    const json va = a.is_object() && a.contains(k) ? a[k] : json();
    const json vb = b.is_object() && b.contains(k) ? b[k] : json();
    if (va != vb) {
      out.push_back(k + ": " + (va.is_null() ? "(absent)" : va.dump()) + " vs " +
                    (vb.is_null() ? "(absent)" : vb.dump()));
    }
  }
  return out;
}

std::optional<nlohmann::ordered_json> baseline_from_report(const json& report, std::string& error) {
  const auto set = ratios_from_json(report, error);
  if (!set) return std::nullopt;
  if (set->kind != "report") {
    error = "not a flake-bench report (schema " + std::string(kReportSchema) + ")";
    return std::nullopt;
  }
  if (!set->errors.empty()) {
    error = "the run had errors (" + set->errors.front() + "); not a baseline";
    return std::nullopt;
  }
  if (set->ratios.empty()) {
    error = "no figure has a ratio to the floor (run flake-bench with --floor)";
    return std::nullopt;
  }
  using ordered = nlohmann::ordered_json;
  const auto copy = [](const json& from, const char* key) {
    const auto it = from.find(key);
    return it == from.end() ? ordered() : ordered::parse(it->dump());
  };
  ordered ratios = ordered::object();
  for (const auto& [key, e] : set->ratios) {
    const json& f = report.at("figures").at(key);
    ratios[key] = {{"ratio", std::round(e.ratio * 1e4) / 1e4},
                   {"tolerance", e.tolerance},
                   {"higher_is_better", e.higher_is_better},
                   {"sidecar", copy(f, "sidecar")},
                   {"floor", copy(f, "floor")},
                   {"unit", copy(f, "unit")}};
  }
  const auto target = report.find("target");
  return ordered{{"schema", std::string(kBaselineSchema)},
                 {"machine", copy(report, "machine")},
                 {"target", target != report.end() && target->is_string()
                                ? without_absolute_paths(target->get<std::string>())
                                : std::string()},
                 {"repeats", copy(report, "repeats")},
                 {"options", copy(report, "options")},
                 {"ratios", ratios},
                 {"targets", copy(report, "targets")}};
}

}  // namespace flake::bench
