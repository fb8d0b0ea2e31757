// --html: one self-contained page (no scripts, no external files) a person opens from a CI
// artifact: the summary, the failures, the PERF cases' plots, the transport matrix, and every case
// by group.
#include "conformance/harness/matrix.hpp"
#include "conformance/harness/report/report.hpp"
#include "conformance/harness/report/svg.hpp"
#include "conformance/harness/report/text.hpp"

namespace flake::conform {
namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}td,th{padding:.25em .6em;text-align:left;vertical-align:top}
tr:nth-child(even){background:#f6f6f6}.id{white-space:nowrap;font-family:monospace}
.pass{color:#176f2c}.fail{color:#b3261e;font-weight:600}.other{color:#8a5a00}
table.matrix{width:auto}table.matrix td{text-align:center}
td.cell-pass{background:#dff3e3}td.cell-fail{background:#f9dedc}td.cell-other{background:#fdf0d5}
pre{white-space:pre-wrap;word-break:break-all;background:#f3f3f3;padding:.6em;font-size:12px}
.meta{color:#555}details{margin:.3em 0 .8em}.rules{color:#666;font-size:12px;white-space:nowrap}
.plots{display:flex;flex-wrap:wrap;gap:.8em 1.5em}.plots figure{margin:0}
.plots figcaption{font-size:12px;color:#444}.first{color:#8a5a00}
)";

// What the status means for this run: an expected failure is not a failure, and an expected
// failure that passed fails the run (the list went stale).
struct Verdict {
  const char* label;
  const char* css;  // pass, fail or other
};

Verdict verdict(const CaseResult& r) {
  switch (r.outcome.status) {
    case Status::Pass:
      if (r.expected_failure) return {"passed, but listed as an expected failure", "fail"};
      return passed_on_rerun(r) ? Verdict{"pass (failed, passed on rerun)", "pass"}
                                : Verdict{"pass", "pass"};
    case Status::Fail:
      if (r.expected_failure) return {"expected failure", "other"};
      return r.first_attempt ? Verdict{"failed twice", "fail"} : Verdict{"fail", "fail"};
    case Status::Unimplemented:
      return {"unimplemented", "other"};
    case Status::Skipped:
      return {"skipped", "other"};
  }
  return {"?", "other"};
}

bool counts_as_failure(const CaseResult& r) {
  return std::string_view(verdict(r).css) == "fail";
}

std::string anchor(const Case& c) {
  return "case-" + xml_escape(c.id);
}

std::string summary_html(const Tally& t, const ReportMeta& meta, std::size_t cases) {
  std::string h = "<p class=\"meta\">target " + xml_escape(meta.target);
  if (!meta.sidecar.empty()) h += " &middot; started: " + xml_escape(meta.sidecar);
  h += " &middot; " + counted(cases, "case") + " in " +
       std::to_string(meta.elapsed.count() / 1000) + "." +
       std::to_string(meta.elapsed.count() % 1000 / 100) + " s</p>\n";
  h += "<p><span class=\"pass\">" + std::to_string(t.passed) + " passed</span>, <span class=\"" +
       std::string(t.failed > 0 ? "fail" : "pass") + "\">" + std::to_string(t.failed) +
       " failed</span> (" + std::to_string(t.should_failures) + " of them SHOULD), " +
       std::to_string(t.unimplemented) + " unimplemented, " + std::to_string(t.skipped) +
       " skipped";
  if (t.passed_on_rerun > 0) {
    h += ", <span class=\"first\">" + counted(t.passed_on_rerun, "case", "cases") +
         " passed on rerun</span> (timing-dependent: failed once, passed when run again)";
  }
  if (t.expected_failures > 0 || t.unexpected_passes > 0) {
    h += ", " + counted(t.expected_failures, "expected failure") + ", " +
         counted(t.unexpected_passes, "unexpected pass", "unexpected passes");
  }
  return h + "</p>\n";
}

std::string matrix_html(const std::vector<CaseResult>& results) {
  const TransportMatrix m = transport_matrix(results);
  if (m.empty()) return {};
  std::string h =
      "<h2 id=\"matrix\">Transport matrix</h2>\n<p>Rules that hold on every path they apply to, "
      "one cell per path.</p>\n<table class=\"matrix\"><thead><tr><th>rule</th>";
  for (std::size_t i = 0; i < kPaths.size(); ++i) {
    if (m.paths[i].run > 0) h += "<th>" + std::string(to_string(kPaths[i])) + "</th>";
  }
  h += "</tr></thead>\n<tbody>\n";
  for (const MatrixRow& row : m.rows) {
    h += "<tr><td class=\"id\">" + xml_escape(row.rule) + "</td>";
    for (std::size_t i = 0; i < kPaths.size(); ++i) {
      if (m.paths[i].run == 0) continue;
      if (!row.cells[i]) {
        h += "<td></td>";
        continue;
      }
      const Status s = *row.cells[i];
      const char* css = s == Status::Pass ? "pass" : s == Status::Fail ? "fail" : "other";
      h += "<td class=\"cell-" + std::string(css) + "\">" + std::string(to_string(s)) + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</tbody>\n<tfoot><tr><th>passed</th>";
  for (std::size_t i = 0; i < kPaths.size(); ++i) {
    if (m.paths[i].run == 0) continue;
    h +=
        "<td>" + std::to_string(m.paths[i].passed) + "/" + std::to_string(m.paths[i].run) + "</td>";
  }
  return h + "</tr></tfoot></table>\n";
}

std::string details_html(const CaseResult& r) {
  std::string h;
  if (r.first_attempt) {
    const Attempt& f = *r.first_attempt;
    h += "<div class=\"first\"><b>first attempt failed</b> (run again once: timing-dependent)"
         "<br><b>expected:</b> " +
         xml_escape(f.outcome.expected) + "<br><b>actual:</b> " + xml_escape(f.outcome.actual) +
         "</div>\n";
    std::string wire;
    for (const auto& w : f.wire) wire += w + "\n";
    h += "<details><summary>first attempt's wire log (" + counted(f.wire.size(), "line") +
         ")</summary><pre>" + xml_escape(wire) + "</pre></details>\n";
  }
  if (r.outcome.status == Status::Fail) {
    h += std::string(r.first_attempt ? "<div><b>rerun failed too</b><br>" : "<div>") +
         "<b>expected:</b> " + xml_escape(r.outcome.expected) + "<br><b>actual:</b> " +
         xml_escape(r.outcome.actual) + "</div>\n";
  }
  if (!r.outcome.reason.empty()) h += "<div>" + xml_escape(r.outcome.reason) + "</div>\n";
  if (!r.outcome.detail.empty()) h += "<div>" + xml_escape(r.outcome.detail) + "</div>\n";
  if (!r.wire.empty()) {
    std::string wire;
    for (const auto& w : r.wire) wire += w + "\n";
    if (r.wire_dropped > 0) {
      wire += "(" + counted(r.wire_dropped, "further wire line") + " not kept)\n";
    }
    h += "<details><summary>wire log (" + counted(r.wire.size(), "line") + ")</summary><pre>" +
         xml_escape(wire) + "</pre></details>\n";
  }
  return h;
}

std::string case_row(const CaseResult& r) {
  const Verdict v = verdict(r);
  std::string h = "<tr id=\"" + anchor(*r.c) + "\"><td class=\"id\">" + xml_escape(r.c->id) +
                  "</td><td>" + std::string(to_string(r.c->tier)) + "</td><td class=\"" + v.css +
                  "\">" + v.label + "</td><td>" + xml_escape(r.c->requirement);
  if (!r.c->rules.empty())
    h += " <span class=\"rules\">" + xml_escape(rules_text(*r.c)) + "</span>";
  if (r.outcome.status != Status::Pass || !r.outcome.detail.empty() || r.first_attempt) {
    h += details_html(r);
  }
  return h + "</td><td>" + std::to_string(r.duration.count()) + "&nbsp;ms</td></tr>\n";
}

// Each PERF case's measurement against its bar, near the top: what a reader of a slow run looks
// for first. A case that failed before measuring has no plot.
std::string plots_html(const std::vector<CaseResult>& results) {
  std::string figures;
  for (const auto& r : results) {
    if (!r.outcome.measurement) continue;
    figures += "<figure>" + svg_measurement(*r.outcome.measurement) + "<figcaption><a href=\"#" +
               anchor(*r.c) + "\">" + xml_escape(r.c->id) + "</a> " + xml_escape(r.c->requirement) +
               "</figcaption></figure>\n";
  }
  if (figures.empty()) return {};
  return "<h2 id=\"performance\">Performance</h2>\n<div class=\"plots\">\n" + figures + "</div>\n";
}

}  // namespace

bool write_html_report(const std::string& path, const std::vector<CaseResult>& results,
                       const ReportMeta& meta, std::string& error) {
  const Tally t = tally(results);
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                  xml_escape("flake-conform: " + meta.target) + "</title>\n<style>" + kStyle +
                  "</style></head>\n<body>\n<h1>flake-conform report (flake.v1)</h1>\n";
  h += summary_html(t, meta, results.size());
  std::string failures;
  for (const auto& r : results) {
    if (!counts_as_failure(r)) continue;
    failures += "<li><a href=\"#" + anchor(*r.c) + "\">" + xml_escape(r.c->id) + "</a> [" +
                std::string(to_string(r.c->tier)) + "] " + xml_escape(r.c->requirement) +
                " <span class=\"fail\">" + verdict(r).label + "</span>";
    if (r.outcome.status == Status::Fail) {
      failures += ": " + xml_escape(shorten(r.outcome.actual, 200));
    }
    failures += "</li>\n";
  }
  if (!failures.empty()) h += "<h2 id=\"failures\">Failures</h2>\n<ul>\n" + failures + "</ul>\n";
  h += plots_html(results);
  h += matrix_html(results);
  for (const Group g : all_groups()) {
    std::string rows;
    for (const auto& r : results) {
      if (group_of(*r.c) == g) rows += case_row(r);
    }
    if (rows.empty()) continue;
    const std::string name(to_string(g));
    h += "<h2 id=\"group-" + name + "\">" + name +
         "</h2>\n<table class=\"cases\"><thead><tr><th>case</th><th>tier</th><th>status</th>"
         "<th>requirement</th><th>time</th></tr></thead>\n<tbody>\n" +
         rows + "</tbody></table>\n";
  }
  h += "</body></html>\n";
  return write_file(path, h, error);
}

}  // namespace flake::conform
