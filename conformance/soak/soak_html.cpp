// --html: the soak report as one self-contained page (no scripts, no external files) a person
// opens from a CI artifact: the verdict, the counts, the checks and findings, and per sidecar
// process the RSS and descriptor plots the levelling-off verdict was drawn from.
#include "conformance/harness/report/text.hpp"
#include "conformance/soak/findings.hpp"
#include "conformance/soak/soak_report.hpp"
#include "conformance/soak/soak_svg.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace flake::conform::soak {
namespace {

// The conformance report's look (harness/report/html.cpp), plus the verdict banner and plots.
constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}
h3{font-size:1.05em;margin:1.2em 0 .4em}h3 .note{font-weight:normal;font-size:13px}
table{border-collapse:collapse;width:100%}td,th{padding:.25em .6em;text-align:left;vertical-align:top}
tr:nth-child(even){background:#f6f6f6}.id{white-space:nowrap;font-family:monospace}
.pass{color:#176f2c}.fail{color:#b3261e;font-weight:600}.note{color:#555}
table.narrow{width:auto}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.failrow,tr.failrow:nth-child(even){background:#f9dedc}
table.meta th{color:#555;font-weight:normal;white-space:nowrap}
.verdict{display:inline-block;padding:.2em .8em;border-radius:4px;font-weight:700;font-size:1.3em}
.verdict.pass{background:#dff3e3}.verdict.fail{background:#f9dedc}
.cols{display:flex;flex-wrap:wrap;gap:0 3em}.plots{display:flex;flex-wrap:wrap;gap:1em 1.5em}
.plots figure{margin:0;flex:1 1 420px;max-width:560px}figcaption{font-size:13px}
.plots svg{width:100%;height:auto}
.detail{word-break:break-word}
)";

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The JSON keys read as words in the page ("notifications_lost" -> "notifications lost").
std::string words(std::string key) {
  for (char& c : key) {
    if (c == '_') c = ' ';
  }
  return xml_escape(key);
}

std::string cell(const std::string& escaped, const char* css = nullptr) {
  return css == nullptr ? "<td>" + escaped + "</td>"
                        : "<td class=\"" + std::string(css) + "\">" + escaped + "</td>";
}

std::string value_text(std::uint64_t v) {
  return std::to_string(v);
}

// Settings are rates and seconds: as short as they were given ("0.5", "12").
std::string value_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

template <typename Map>
std::string key_value_table(const Map& values, const char* key_heading, const char* value_heading) {
  if (values.empty()) return "<p class=\"note\">none</p>\n";
  std::string h = "<table class=\"narrow\"><thead><tr><th>" + std::string(key_heading) +
                  "</th><th>" + value_heading + "</th></tr></thead>\n<tbody>\n";
  for (const auto& [key, value] : values) {
    h += "<tr>" + cell(words(key)) + cell(value_text(value), "n") + "</tr>\n";
  }
  return h + "</tbody></table>\n";
}

std::string header_html(const SoakReport& r) {
  std::uint64_t findings = 0;
  std::size_t failed = 0;
  for (const CheckResult& c : r.checks) {
    findings += c.findings;
    failed += c.findings > 0 ? 1 : 0;
  }
  std::string h = "<p><span class=\"verdict " + std::string(r.passed ? "pass" : "fail") + "\">" +
                  (r.passed ? "PASSED" : "FAILED") + "</span> <span class=\"note\">" +
                  counted(findings, "finding") + ", " + std::to_string(failed) + " of " +
                  std::to_string(r.checks.size()) +
                  " checks failed</span></p>\n<table class=\"meta narrow\">\n";
  auto row = [&](const char* name, const std::string& escaped) {
    h += "<tr><th>" + std::string(name) + "</th><td>" + escaped + "</td></tr>\n";
  };
  row("target", xml_escape(r.target));
  row("sidecar", r.sidecar.empty() ? "not started by the soak" : xml_escape(r.sidecar));
  row("seed", std::to_string(r.seed));
  row("duration", num(r.seconds, 1) + " s");
  row("clients", std::to_string(r.clients));
  row("ended by", xml_escape(r.ended_by));
  return h + "</table>\n";
}

std::string recovery_html(const SoakReport& r) {
  std::string h =
      "<table class=\"narrow\"><thead><tr><th>recoveries</th><th>count</th><th>p50</th>"
      "<th>p90</th><th>p99</th><th>max</th></tr></thead>\n<tbody>\n";
  auto row = [&](const char* name, const Percentiles& p) {
    h += "<tr>" + cell(name) + cell(std::to_string(p.count), "n");
    for (const double v : {p.p50, p.p90, p.p99, p.max}) {
      h += cell(p.count == 0 ? "&ndash;" : num(v, 0) + "&nbsp;ms", "n");
    }
    h += "</tr>\n";
  };
  row("after outages like &sect;10.8&rsquo;s (judged, &sect;7.9a)", r.recovery_judged);
  row("all", r.recovery_all);
  return h + "</tbody></table>\n";
}

std::string checks_html(const SoakReport& r) {
  std::string h =
      "<table><thead><tr><th></th><th>check</th><th>rule</th><th>what is watched</th>"
      "<th>findings</th></tr></thead>\n<tbody>\n";
  for (const CheckResult& c : r.checks) {
    const bool ok = c.findings == 0;
    h += "<tr" + std::string(ok ? "" : " class=\"failrow\"") + ">" +
         cell(ok ? "ok" : "FAIL", ok ? "pass" : "fail") + cell(xml_escape(c.check), "id") +
         cell(xml_escape(c.rule), "id") + cell(xml_escape(c.what)) +
         cell(std::to_string(c.findings), "n") + "</tr>\n";
  }
  return h + "</tbody></table>\n";
}

std::string findings_html(const SoakReport& r) {
  if (r.findings.empty()) return "<p class=\"pass\">No findings.</p>\n";
  std::string h = "<p class=\"note\">The first " + std::to_string(Findings::kKeptPerCheck) +
                  " of each check; the checks table counts them all.</p>\n"
                  "<table><thead><tr><th>check</th><th>rule</th><th>client</th><th>time</th>"
                  "<th>detail</th></tr></thead>\n<tbody>\n";
  for (const Finding& f : r.findings) {
    h += "<tr>" + cell(xml_escape(f.check), "id") + cell(xml_escape(f.rule), "id") +
         cell(f.client < 0 ? "sidecar" : std::to_string(f.client), "n") +
         cell(num(f.at_s, 1) + "&nbsp;s", "n") + cell(xml_escape(f.detail), "detail") + "</tr>\n";
  }
  return h + "</tbody></table>\n";
}

// The verdict line under a plot, in the plot's unit.
std::string verdict_html(const Trend& t, double scale, const std::string& unit, int decimals) {
  if (!t.enough) return "<span class=\"note\">too few samples after the warm-up to judge</span>";
  const std::string u = unit.empty() ? "" : "&nbsp;" + unit;
  const std::string growth = num(std::abs(t.growth) * scale, decimals);
  // A decline that rounds to nothing reads "+0", not "-0".
  const bool decline = t.growth < 0 && growth != num(0, decimals);
  return "median " + num(t.median * scale, decimals) + u + ", growth " +
         (decline ? "&minus;" : "+") + growth + u + " over the judged window (allowed " +
         num(t.allowed * scale, decimals) + u + "): " +
         (t.flat ? "<span class=\"pass\">flat</span>" : "<span class=\"fail\">GROWING</span>");
}

std::string figure(const std::vector<Sample>& samples, const Trend& trend, double scale,
                   const std::string& title, const std::string& unit, int decimals) {
  LinePlot plot;
  plot.title = title;
  plot.y_label = unit.empty() ? "descriptors" : unit;
  plot.x_label = "seconds since the soak started";
  plot.integral = unit.empty();
  for (const Sample& s : samples) plot.points.push_back({s.t, s.value * scale});
  if (trend.enough) {
    // judge_trend leaves the warm-up out, cut from the series' own span; the rest is judged.
    const double start = samples.front().t;
    plot.judged_from = start + (samples.back().t - start) * TrendLimit{}.warmup_fraction;
    plot.median = trend.median * scale;
    // Growth at the allowance fills half the height, so a flat series does not look steep.
    plot.min_span = 2 * trend.allowed * scale;
  }
  return "<figure>" + svg_line_plot(plot) + "<figcaption>" +
         verdict_html(trend, scale, unit, decimals) + "</figcaption></figure>\n";
}

std::string resources_html(const SoakReport& r) {
  std::string h;
  if (!r.resources_note.empty())
    h += "<p class=\"note\">" + xml_escape(r.resources_note) + "</p>\n";
  if (r.resources.empty()) return h.empty() ? "<p class=\"note\">no samples</p>\n" : h;
  h += "<p class=\"note\">One series per sidecar process (a restart starts a new one). Shaded: the "
       "window judged after the warm-up; a least-squares line through it must not grow by more "
       "than the allowance.</p>\n";
  for (const ResourceSeries& s : r.resources) {
    h += "<h3 id=\"process-" + std::to_string(s.incarnation) + "\">process " +
         std::to_string(s.incarnation);
    if (!s.rss_kib.empty()) {
      h += " <span class=\"note\">(" + num(s.rss_kib.front().t, 1) + "&ndash;" +
           num(s.rss_kib.back().t, 1) + "&nbsp;s, " + counted(s.rss_kib.size(), "sample") +
           ")</span>";
    }
    h += "</h3>\n<div class=\"plots\">\n";
    h += figure(s.rss_kib, s.rss, 1.0 / 1024, "RSS (MiB)", "MiB", 1);
    h += figure(s.fds, s.fd, 1.0, "open descriptors", "", 0);
    h += "</div>\n";
  }
  return h;
}

}  // namespace

bool write_html(const std::string& path, const SoakReport& r, std::string& error) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                  xml_escape("flake-conform soak: " + r.target) + "</title>\n<style>" + kStyle +
                  "</style></head>\n<body>\n<h1>flake-conform soak report (flake.v1)</h1>\n";
  h += header_html(r);
  h += "<div class=\"cols\">\n<div><h2 id=\"totals\">Totals</h2>\n" +
       key_value_table(r.totals, "what", "count") + "</div>\n<div><h2 id=\"faults\">Faults</h2>\n" +
       key_value_table(r.faults, "kind", "count") +
       "</div>\n<div><h2 id=\"settings\">Settings</h2>\n" +
       key_value_table(r.settings, "option", "value") + "</div>\n</div>\n";
  h += "<h2 id=\"recovery\">Recovery</h2>\n" + recovery_html(r);
  h += "<h2 id=\"checks\">Checks</h2>\n" + checks_html(r);
  h += "<h2 id=\"findings\">Findings</h2>\n" + findings_html(r);
  h += "<h2 id=\"resources\">Resources</h2>\n" + resources_html(r);
  h += "</body></html>\n";
  return write_file(path, h, error);
}

}  // namespace flake::conform::soak
