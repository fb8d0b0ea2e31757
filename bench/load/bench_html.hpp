// flake-bench --html: the run as one self-contained page (no scripts, no external resources):
// a latency percentile plot per latency run, sidecar and floor together, and the figures table.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace flake::bench {

// The page for a report as report_json() makes it (schema "flake-bench/1"). Drawn from the JSON
// alone, so the page shows nothing the JSON does not carry. Every text is escaped.
std::string report_html(const nlohmann::json& report);

}  // namespace flake::bench
