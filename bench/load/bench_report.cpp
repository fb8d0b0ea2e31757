// The report: medians over repeats, targets, the table and the JSON. Ratios are sidecar / floor
// whatever the direction: for a rate 0.5 is half the floor's rate, for a latency 2.0 twice its
// latency.
#include "bench/load/bench_report.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>

namespace flake::bench {
namespace {

std::optional<double> ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b == 0) return std::nullopt;
  return *a / *b;
}

nlohmann::json latency_json(const Histogram& h) {
  const auto us = [&](double p) { return static_cast<double>(h.percentile(p)) / 1000.0; };
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& pt : percentile_points(h)) {
    curve.push_back({{"p", pt.percentile}, {"us", pt.micros}});
  }
  return {{"count", h.count()},
          {"p50_us", us(50)},
          {"p90_us", us(90)},
          {"p99_us", us(99)},
          {"p99_9_us", us(99.9)},
          {"max_us", h.max() / 1000.0},
          {"mean_us", h.mean() / 1000.0},
          {"percentiles", curve}};
}

nlohmann::json opt(std::optional<double> v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

bool ratio_compared(std::string_view key) {
  return key != "cpu_s_per_1k_msgs";
}

std::string format_value(std::optional<double> v) {
  if (!v) return "-";
  char buf[64];
  const double a = std::fabs(*v);
  if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f M", *v / 1e6);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1f k", *v / 1e3);
  } else if (a >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", *v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", *v);
  }
  return buf;
}

std::string target_name(std::string_view bin, std::string_view build_dir) {
  std::string_view dir = build_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (!dir.empty() && bin.size() > dir.size() + 1 && bin.substr(0, dir.size()) == dir &&
      bin[dir.size()] == '/') {
    return std::string(bin.substr(dir.size() + 1));
  }
  if (!bin.empty() && bin.front() == '/') return std::string(bin.substr(bin.rfind('/') + 1));
  return std::string(bin);
}

std::optional<double> median(std::vector<double> s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](double v) { return std::isnan(v); }), s.end());
  if (s.empty()) return std::nullopt;
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

void BenchResults::add(Side side, const std::string& key, const std::string& label,
                       const std::string& unit, bool higher_better, double value) {
  auto it =
      std::find_if(figures.begin(), figures.end(), [&](const Figure& f) { return f.key == key; });
  if (it == figures.end()) {
    figures.push_back(Figure{key, label, unit, higher_better, {}, {}});
    it = figures.end() - 1;
  }
  (side == Side::Sidecar ? it->sidecar : it->floor).push_back(value);
}

const Figure* BenchResults::find(const std::string& key) const {
  for (const auto& f : figures) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::optional<double> BenchResults::value(const std::string& key, Side side) const {
  const Figure* f = find(key);
  if (!f) return std::nullopt;
  return median(side == Side::Sidecar ? f->sidecar : f->floor);
}

void evaluate_targets(BenchResults& r) {
  r.targets.clear();
  const auto side = [&](const std::string& k) { return r.value(k, Side::Sidecar); };
  const auto flo = [&](const std::string& k) { return r.value(k, Side::Floor); };
  const auto add = [&](std::string name, std::string figure, std::string rule,
                       std::optional<double> value, auto pass) {
    TargetCheck t{std::move(name), std::move(figure), std::move(rule), value, false};
    t.pass = value.has_value() && pass(*value);
    r.targets.push_back(std::move(t));
  };
  std::optional<double> gap;
  if (side("ping_w1_p50_us") && flo("ping_w1_p50_us"))
    gap = *side("ping_w1_p50_us") - *flo("ping_w1_p50_us");
  add("window-1 system.ping p50 within 5 us of the floor p50", "ping_w1_p50_us",
      "sidecar p50 - floor p50 <= 5 us", gap, [](double v) { return v <= 5; });
  add("window-64 throughput on one connection >= 70 % of the floor", "ping_w64_per_s",
      "sidecar / floor >= 0.70", ratio(side("ping_w64_per_s"), flo("ping_w64_per_s")),
      [](double v) { return v >= 0.70; });
  add("C x W throughput >= 50 % of the floor", "ping_cxw_per_s", "sidecar / floor >= 0.50",
      ratio(side("ping_cxw_per_s"), flo("ping_cxw_per_s")), [](double v) { return v >= 0.50; });
  // CPU seconds per 1,000 pings of the window-64 run; the target is 1 ms.
  add("sidecar CPU <= 1 ms per 1,000 pings (window 64)", "cpu_s_per_1k_msgs", "<= 1.0 ms",
      side("cpu_s_per_1k_msgs"), [](double v) { return v <= 0.001; });
  add(">= 1,000,000 log entries/s to one subscriber", "log_entries_per_s", ">= 1,000,000 /s",
      side("log_entries_per_s"), [](double v) { return v >= 1e6; });
  add("connect+auth p50 < 1 ms", "connect_auth_p50_ms", "< 1 ms", side("connect_auth_p50_ms"),
      [](double v) { return v < 1; });
  add("RSS < 10 MB idle", "rss_idle_mib", "< 10 MiB", side("rss_idle_mib"),
      [](double v) { return v < 10; });
  add("RSS < 32 MB with 64 connections streaming", "rss_64_streaming_mib", "< 32 MiB",
      side("rss_64_streaming_mib"), [](double v) { return v < 32; });
  add("getLarge >= 1 GB/s (msgpack, uncompressed)", "getlarge_mb_per_s", ">= 1000 MB/s",
      side("getlarge_mb_per_s"), [](double v) { return v >= 1000; });
  add("client ceiling (floor) >= 2x the sidecar's window-64 throughput", "ping_w64_per_s",
      "floor / sidecar >= 2", ratio(flo("ping_w64_per_s"), side("ping_w64_per_s")),
      [](double v) { return v >= 2; });
  r.targets.back().about_measurement = true;
}

std::vector<PercentilePoint> percentile_points(const Histogram& h) {
  std::vector<PercentilePoint> out;
  if (h.count() == 0) return out;
  // Beyond log10(count) nines there is no further sample to tell apart: the curve stops there.
  const double last = std::min(7.0, std::log10(static_cast<double>(h.count())));
  std::vector<double> ps = {50};
  for (int k = 0; k <= static_cast<int>(std::floor(last * 10 + 1e-9)); ++k) {
    // Rounded (to 1e-9, far below seven nines' 1e-5) so that whole nines come out as 90, 99, 99.9
    // exactly.
    ps.push_back(std::round((100.0 - 100.0 * std::pow(10.0, -k / 10.0)) * 1e9) / 1e9);
  }
  std::sort(ps.begin(), ps.end());
  ps.erase(std::unique(ps.begin(), ps.end()), ps.end());
  for (const double p : ps) out.push_back({p, static_cast<double>(h.percentile(p)) / 1000.0});
  return out;
}

namespace {

const char* status(const TargetCheck& t) {
  if (!t.value) return "n/a";
  if (t.about_measurement) return t.pass ? "ok" : "note";
  return t.pass ? "pass" : "MISS";
}

}  // namespace

void print_report(const BenchResults& r, std::FILE* out) {
  std::fprintf(out, "\nflake-bench: %s\n", r.target.c_str());
  if (!r.notes.empty()) std::fprintf(out, "%s\n", r.notes.c_str());
  if (r.repeats > 1) std::fprintf(out, "figures are medians of %u runs\n", r.repeats);
  std::fprintf(out, "\n%-44s %12s %12s %8s  %s\n", "figure", "sidecar", "floor", "ratio", "unit");
  for (const auto& f : r.figures) {
    const auto s = median(f.sidecar), fl = median(f.floor);
    const auto q = ratio(s, fl);
    char rbuf[32] = "-";
    if (q) std::snprintf(rbuf, sizeof rbuf, "%.2f", *q);
    std::fprintf(out, "%-44s %12s %12s %8s  %s%s\n", f.label.c_str(), format_value(s).c_str(),
                 format_value(fl).c_str(), rbuf, f.unit.c_str(),
                 f.higher_better ? " (higher is better)" : "");
  }
  const auto print_latency = [&](const char* who, const std::map<std::string, Histogram>& m) {
    for (const auto& [name, h] : m) {
      if (h.count() == 0) continue;
      std::fprintf(out, "%-8s %-14s %9.1f %9.1f %9.1f %9.1f %10.1f %9llu\n", who, name.c_str(),
                   h.percentile(50) / 1000.0, h.percentile(90) / 1000.0, h.percentile(99) / 1000.0,
                   h.percentile(99.9) / 1000.0, h.max() / 1000.0,
                   static_cast<unsigned long long>(h.count()));
    }
  };
  std::fprintf(out, "\nlatency (us)            %9s %9s %9s %9s %10s %9s\n", "p50", "p90", "p99",
               "p99.9", "max", "samples");
  print_latency("sidecar", r.latency_sidecar);
  print_latency("floor", r.latency_floor);
  std::fprintf(out, "\ntargets\n");
  bool client_bound = false;
  for (const auto& t : r.targets) {
    client_bound = client_bound || (t.about_measurement && t.value && !t.pass);
    std::fprintf(out, "  %-5s %-66s %s = %s\n", status(t), t.name.c_str(), t.rule.c_str(),
                 format_value(t.value).c_str());
  }
  if (client_bound) {
    std::fprintf(
        out,
        "  (note: the floor is less than twice the sidecar's window-64 throughput, so the "
        "client,\n   on the same cores, bounds that figure as much as the sidecar does)\n");
  }
  for (const auto& e : r.errors) std::fprintf(out, "ERROR %s\n", e.c_str());
}

nlohmann::json report_json(const BenchResults& r) {
  nlohmann::json figures = nlohmann::json::object();
  for (const auto& f : r.figures) {
    const auto s = median(f.sidecar), fl = median(f.floor);
    figures[f.key] = {{"label", f.label},
                      {"unit", f.unit},
                      {"higher_is_better", f.higher_better},
                      {"sidecar", opt(s)},
                      {"floor", opt(fl)},
                      {"ratio_to_floor", opt(ratio(s, fl))},
                      {"ratio_compared", ratio(s, fl).has_value() && ratio_compared(f.key)},
                      {"sidecar_samples", f.sidecar},
                      {"floor_samples", f.floor}};
  }
  nlohmann::json latency = nlohmann::json::object();
  for (const auto& [name, h] : r.latency_sidecar) latency[name]["sidecar"] = latency_json(h);
  for (const auto& [name, h] : r.latency_floor) latency[name]["floor"] = latency_json(h);
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : r.targets) {
    targets.push_back({{"name", t.name},
                       {"figure", t.figure},
                       {"rule", t.rule},
                       {"value", opt(t.value)},
                       {"result", !t.value              ? "not measured"
                                  : t.pass              ? "pass"
                                  : t.about_measurement ? "note"
                                                        : "miss"}});
  }
  return {{"schema", "flake-bench/1"}, {"machine", machine_description()},
          {"target", r.target},        {"notes", r.notes},
          {"repeats", r.repeats},      {"options", r.options},
          {"figures", figures},        {"latency", latency},
          {"targets", targets},        {"errors", r.errors}};
}

nlohmann::json machine_description() {
  std::string model;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname u{};
  ::uname(&u);
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  double load = -1;
  std::ifstream loadavg("/proc/loadavg");
  loadavg >> load;
  return {{"nproc", ::sysconf(_SC_NPROCESSORS_ONLN)},
          {"cpu", model},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"date", date},
          {"loadavg_1min", load}};
}

}  // namespace flake::bench
