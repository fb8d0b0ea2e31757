// The HTML report: header (target, machine, options), errors, the figures with their ratios to the
// floor, the targets, the TLS cost (with --tls), then one percentile plot per latency run. Reads
// the report JSON defensively: a field of an unexpected type shows as "-" rather than throwing.
#include "bench/load/bench_html.hpp"

#include "bench/load/bench_report.hpp"
#include "bench/load/bench_svg.hpp"
#include "bench/load/tls_cost.hpp"
#include "conformance/harness/report/text.hpp"

#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

namespace flake::bench {
namespace {

using nlohmann::json;

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:64em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse}td,th{padding:.25em .6em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr:nth-child(even){background:#f6f6f6}
.pass{color:#176f2c}.miss{color:#b3261e;font-weight:600}.meta{color:#555}code{font-size:12px}
figure{margin:1.2em 0}figcaption{color:#555;font-size:12px}svg{max-width:100%;height:auto}
)";

std::string esc(std::string_view s) {
  return conform::xml_escape(s);
}

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<double> number(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string ratio_text(std::optional<double> r) {
  if (!r) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", *r);
  return buf;
}

// A latency run's key as a title: ping_w1, ping_w64, ping_c8_w16, open_loop, connect_auth.
std::string latency_title(const std::string& key, const json& options) {
  if (key == "ping_w1") return "system.ping, 1 connection x window 1";
  if (key == "ping_w64") return "system.ping, 1 connection x window 64";
  if (key == "connect_auth") return "connect + WebSocket upgrade + auth";
  if (key == "open_loop") {
    const auto rate = number(options, "open_rate");
    return rate ? "open loop, " + format_value(rate) + " req/s" : "open loop";
  }
  unsigned c = 0, w = 0;
  if (std::sscanf(key.c_str(), "ping_c%u_w%u", &c, &w) == 2) {
    return "system.ping, " + std::to_string(c) + " connections x window " + std::to_string(w);
  }
  return key;
}

Curve curve_of(const std::string& name, const json& side) {
  Curve c{name, {}};
  const auto it = side.find("percentiles");
  if (it == side.end() || !it->is_array()) return c;
  for (const auto& pt : *it) {
    const auto p = pt.is_object() ? number(pt, "p") : std::nullopt;
    const auto us = pt.is_object() ? number(pt, "us") : std::nullopt;
    if (p && us) c.points.push_back({*p, *us});
  }
  return c;
}

std::string header(const json& report) {
  std::string h = "<h1>flake-bench report</h1>\n<p class=\"meta\">";
  h += "Target: <code>" + esc(str(report, "target")) + "</code><br>\n";
  if (!str(report, "notes").empty()) h += esc(str(report, "notes")) + "<br>\n";
  const json machine = report.value("machine", json::object());
  if (machine.is_object()) {
    std::string m =
        str(machine, "date") + ", " + str(machine, "cpu") + ", " + str(machine, "kernel");
    if (const auto n = number(machine, "nproc")) m += ", nproc " + format_value(n);
    if (const auto l = number(machine, "loadavg_1min")) m += ", load average " + format_value(l);
    h += "Machine: " + esc(m) + "<br>\n";
  }
  if (const auto r = number(report, "repeats"); r && *r > 1) {
    h += "Figures are medians of " + esc(format_value(r)) + " runs.<br>\n";
  }
  const json options = report.value("options", json::object());
  if (options.is_object() && !options.empty()) {
    std::string o;
    for (const auto& [k, v] : options.items()) o += (o.empty() ? "" : " ") + k + "=" + v.dump();
    h += "Options: <code>" + esc(o) + "</code>";
  }
  h += "</p>\n";
  const json errors = report.value("errors", json::array());
  if (errors.is_array() && !errors.empty()) {
    h += "<h2>Errors</h2>\n<ul>\n";
    for (const auto& e : errors) {
      h += "<li class=\"miss\">" + esc(e.is_string() ? e.get<std::string>() : e.dump()) + "</li>\n";
    }
    h += "</ul>\n";
  }
  return h;
}

std::string figures_table(const json& figures) {
  std::string t =
      "<h2>Figures</h2>\n<p class=\"meta\">Ratios are sidecar / floor: for a rate 0.5 is half the "
      "floor's rate, for a latency 2.0 twice its latency.</p>\n<table>\n<tr><th>Figure</th>"
      "<th>Key</th><th>Sidecar</th><th>Floor</th><th>Ratio to floor</th><th>Unit</th>"
      "<th>Better</th></tr>\n";
  if (!figures.is_object()) return t + "</table>\n";
  for (const auto& [key, f] : figures.items()) {
    if (!f.is_object()) continue;
    const auto hb = f.find("higher_is_better");
    const bool higher = hb == f.end() || !hb->is_boolean() || hb->get<bool>();
    t += "<tr><td>" + esc(str(f, "label")) + "</td><td><code>" + esc(key) + "</code></td>";
    t += "<td class=\"n\">" + esc(format_value(number(f, "sidecar"))) + "</td>";
    t += "<td class=\"n\">" + esc(format_value(number(f, "floor"))) + "</td>";
    t += "<td class=\"n\">" + esc(ratio_text(number(f, "ratio_to_floor"))) + "</td>";
    t +=
        "<td>" + esc(str(f, "unit")) + "</td><td>" + (higher ? "higher" : "lower") + "</td></tr>\n";
  }
  return t + "</table>\n";
}

std::string targets_table(const json& targets) {
  if (!targets.is_array() || targets.empty()) return {};
  std::string t =
      "<h2>Targets</h2>\n<table>\n<tr><th>Result</th><th>Target</th><th>Rule</th>"
      "<th>Value</th></tr>\n";
  for (const auto& x : targets) {
    if (!x.is_object()) continue;
    const std::string result = str(x, "result");
    const char* css = result == "pass" ? "pass" : result == "miss" ? "miss" : "meta";
    t += "<tr><td class=\"" + std::string(css) + "\">" + esc(result) + "</td><td>" +
         esc(str(x, "name")) + "</td><td>" + esc(str(x, "rule")) + "</td><td class=\"n\">" +
         esc(format_value(number(x, "value"))) + "</td></tr>\n";
  }
  return t + "</table>\n";
}

std::string latency_plots(const json& latency, const json& options) {
  if (!latency.is_object() || latency.empty()) return {};
  std::string s =
      "<h2>Latency percentiles</h2>\n<p class=\"meta\">Both axes are logarithmic: latency up, "
      "percentile across in nines (p90, p99, p99.9 evenly spaced). Where the run measured the "
      "floor, its curve is in the same plot.</p>\n";
  for (const auto& [key, sides] : latency.items()) {
    if (!sides.is_object()) continue;
    std::vector<Curve> curves;
    std::string caption;
    for (const char* side : {"sidecar", "floor"}) {
      const auto it = sides.find(side);
      if (it == sides.end() || !it->is_object()) continue;
      curves.push_back(curve_of(side, *it));
      caption += std::string(caption.empty() ? "" : "; ") + side + ": " +
                 format_value(number(*it, "count")) + " samples, p50 " +
                 format_value(number(*it, "p50_us")) + " \xC2\xB5s, p99 " +
                 format_value(number(*it, "p99_us")) + " \xC2\xB5s, max " +
                 format_value(number(*it, "max_us")) + " \xC2\xB5s";
    }
    s += "<figure>\n" + percentile_svg(latency_title(key, options), curves) + "<figcaption>" +
         esc(key) + ": " + esc(caption) + "</figcaption>\n</figure>\n";
  }
  return s;
}

}  // namespace

std::string report_html(const json& report) {
  const json empty = json::object();
  const auto part = [&](const char* key) -> const json& {
    const auto it = report.find(key);
    return it == report.end() ? empty : *it;
  };
  return std::string("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n") +
         "<title>flake-bench: " + esc(str(report, "target")) + "</title>\n<style>" + kStyle +
         "</style>\n</head>\n<body>\n" + header(report) + figures_table(part("figures")) +
         targets_table(part("targets")) + tls_cost_html(part("tls")) +
         latency_plots(part("latency"), part("options")) + "</body>\n</html>\n";
}

}  // namespace flake::bench
