// The soak report on the console and as JSON (conformance/schemas/soak-report.schema.json).
#include "conformance/soak/soak_report.hpp"

#include "conformance/harness/report/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace flake::conform::soak {
namespace {

using json = nlohmann::json;

std::uint64_t total(const SoakReport& r, const std::string& name) {
  const auto it = r.totals.find(name);
  return it == r.totals.end() ? 0 : it->second;
}

json trend_json(const Trend& t) {
  return {{"judged", t.enough},
          {"flat", t.flat},
          {"median", t.median},
          {"growth", t.growth},
          {"allowed", t.allowed}};
}

json series_json(const std::vector<Sample>& samples) {
  json out = json::array();
  for (const Sample& s : samples) out.push_back({std::round(s.t * 10) / 10, s.value});
  return out;
}

json percentiles_json(const Percentiles& p) {
  return {{"count", p.count}, {"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"max", p.max}};
}

}  // namespace

Percentiles percentiles(std::vector<double> values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1;
    return values[std::min(i, values.size() - 1)];
  };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = values.back();
  return p;
}

void print_console(std::FILE* out, const SoakReport& r) {
  std::fprintf(out, "\nsoak of %s: %.0f s, %s, seed %llu (ended by %s)\n", r.target.c_str(),
               r.seconds, counted(static_cast<std::size_t>(r.clients), "client").c_str(),
               static_cast<unsigned long long>(r.seed), r.ended_by.c_str());
  std::fprintf(out,
               "  disconnects survived %llu, failed attempts %llu, restarts %llu\n"
               "  notifications delivered %llu, lost %llu, duplicated %llu; sessions lost where "
               "allowed %llu; seq jumps resumed %llu\n"
               "  calls %llu, answered %llu, ended by their connection %llu; entries emitted %llu, "
               "runs received whole %llu (summed over subscriptions); exports verified %llu\n",
               static_cast<unsigned long long>(total(r, "disconnects")),
               static_cast<unsigned long long>(total(r, "failed_attempts")),
               static_cast<unsigned long long>(
                   (r.faults.count("restart (SIGTERM)") ? r.faults.at("restart (SIGTERM)") : 0) +
                   (r.faults.count("restart (SIGKILL)") ? r.faults.at("restart (SIGKILL)") : 0)),
               static_cast<unsigned long long>(total(r, "notifications_delivered")),
               static_cast<unsigned long long>(total(r, "notifications_lost")),
               static_cast<unsigned long long>(total(r, "notifications_duplicated")),
               static_cast<unsigned long long>(total(r, "sessions_lost_allowed")),
               static_cast<unsigned long long>(total(r, "seq_jumps_resumed")),
               static_cast<unsigned long long>(total(r, "calls")),
               static_cast<unsigned long long>(total(r, "answered")),
               static_cast<unsigned long long>(total(r, "ended_by_transport")),
               static_cast<unsigned long long>(total(r, "emitted_entries")),
               static_cast<unsigned long long>(total(r, "entry_runs_complete")),
               static_cast<unsigned long long>(total(r, "exports_verified")));
  std::fprintf(out, "  faults:");
  for (const auto& [kind, n] : r.faults) {
    std::fprintf(out, " %s %llu,", kind.c_str(), static_cast<unsigned long long>(n));
  }
  std::fprintf(out,
               "\n  recovery after outages like 10.8's: %zu, p50 %.0f ms, p90 %.0f ms, max %.0f "
               "ms (all recoveries: %zu, max %.0f ms)\n",
               r.recovery_judged.count, r.recovery_judged.p50, r.recovery_judged.p90,
               r.recovery_judged.max, r.recovery_all.count, r.recovery_all.max);
  if (!r.resources_note.empty()) std::fprintf(out, "  resources %s\n", r.resources_note.c_str());
  for (const ResourceSeries& s : r.resources) {
    std::fprintf(out, "  process %d: %s; %s\n", s.incarnation,
                 describe(s.rss, "RSS", "KiB").c_str(), describe(s.fd, "descriptors", "").c_str());
  }
  std::fprintf(out, "\nchecks:\n");
  for (const CheckResult& c : r.checks) {
    std::fprintf(out, "  %s %-12s %-6s %s%s\n", c.findings == 0 ? "ok  " : "FAIL", c.check.c_str(),
                 c.rule.c_str(), c.what.c_str(),
                 c.findings == 0 ? "" : (" (" + counted(c.findings, "finding") + ")").c_str());
  }
  if (!r.findings.empty()) {
    std::fprintf(out, "\nfindings (the first of each check):\n");
    for (const Finding& f : r.findings) {
      std::fprintf(out, "  [%7.1f s] %s (%s)%s: %s\n", f.at_s, f.check.c_str(), f.rule.c_str(),
                   f.client < 0 ? "" : (" client " + std::to_string(f.client)).c_str(),
                   f.detail.c_str());
    }
  }
  std::fprintf(out, "\n%s\n", r.passed ? "soak passed" : "soak FAILED");
}

bool write_json(const std::string& path, const SoakReport& r, std::string& error) {
  json doc;
  doc["tool"] = "flake-conform soak";
  doc["target"] = r.target;
  doc["sidecar"] = r.sidecar;
  doc["seed"] = r.seed;
  doc["seconds"] = r.seconds;
  doc["clients"] = r.clients;
  doc["ended_by"] = r.ended_by;
  doc["settings"] = r.settings;
  doc["totals"] = r.totals;
  doc["faults"] = r.faults;
  doc["recovery_ms"] = {{"like_10_8", percentiles_json(r.recovery_judged)},
                        {"all", percentiles_json(r.recovery_all)}};
  json resources = json::array();
  for (const ResourceSeries& s : r.resources) {
    resources.push_back({{"process", s.incarnation},
                         {"rss_kib", series_json(s.rss_kib)},
                         {"fds", series_json(s.fds)},
                         {"rss_trend", trend_json(s.rss)},
                         {"fd_trend", trend_json(s.fd)}});
  }
  doc["resources"] = resources;
  doc["resources_note"] = r.resources_note;
  json checks = json::array();
  for (const CheckResult& c : r.checks) {
    checks.push_back({{"check", c.check},
                      {"rule", c.rule},
                      {"what", c.what},
                      {"findings", c.findings},
                      {"passed", c.findings == 0}});
  }
  doc["checks"] = checks;
  json findings = json::array();
  for (const Finding& f : r.findings) {
    json one = {{"check", f.check}, {"rule", f.rule}, {"detail", f.detail}, {"at_s", f.at_s}};
    if (f.client >= 0) one["client"] = f.client;
    findings.push_back(one);
  }
  doc["findings"] = findings;
  doc["passed"] = r.passed;
  std::ofstream file(path);
  file << doc.dump(1, ' ', false, json::error_handler_t::replace) << "\n";
  if (!file) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace flake::conform::soak
