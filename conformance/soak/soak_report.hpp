// The outcome of a soak as plain data, and its three renderings: console, JSON, HTML.
#pragma once

#include "conformance/soak/findings.hpp"
#include "conformance/soak/resource_trend.hpp"

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace flake::conform::soak {

// One check of the soak: what it watches, the rule, and whether the run kept it.
struct CheckResult {
  std::string check;  // "loss"
  std::string rule;   // "7.2b"
  std::string what;   // one line: what was watched
  std::uint64_t findings = 0;
};

// The sidecar's resources for one process (a restart starts a new series).
struct ResourceSeries {
  int incarnation = 0;
  std::vector<Sample> rss_kib;
  std::vector<Sample> fds;
  Trend rss;
  Trend fd;
};

struct Percentiles {
  std::size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Percentiles percentiles(std::vector<double> values);

struct SoakReport {
  std::string target;
  std::string sidecar;  // the command the soak started, or empty
  std::uint64_t seed = 0;
  double seconds = 0;
  int clients = 0;
  // "duration", "disconnects", "crash", or why the run could not start
  std::string ended_by;
  std::map<std::string, double> settings;  // the load and fault options, for the record

  std::map<std::string, std::uint64_t> totals;  // calls, answered, notifications, ...
  std::map<std::string, std::uint64_t> faults;  // by kind, restarts included
  Percentiles recovery_judged;                  // outages like §10.8's (§7.9a)
  Percentiles recovery_all;
  std::vector<ResourceSeries> resources;  // empty when the soak has no process ID to read
  std::string resources_note;             // why not, or the criterion
  std::vector<CheckResult> checks;
  std::vector<Finding> findings;  // the first of each check
  bool passed = true;
};

void print_console(std::FILE* out, const SoakReport& report);
bool write_json(const std::string& path, const SoakReport& report, std::string& error);
bool write_html(const std::string& path, const SoakReport& report, std::string& error);

}  // namespace flake::conform::soak
