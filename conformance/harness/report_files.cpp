// --json and --junit: every case with its outcome and wire log, for CI dashboards; and the one
// place that writes whichever report files a run asked for.
#include "conformance/harness/report.hpp"

#include "conformance/harness/matrix.hpp"
#include "conformance/harness/report_text.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <utility>

namespace flake::conform {
namespace {

// What the catalogue says of a case, as both the --json report and the --list --json file give it.
nlohmann::json case_json(const Case& c) {
  nlohmann::json j = {{"id", c.id},
                      {"tier", std::string(to_string(c.tier))},
                      {"group", std::string(to_string(group_of(c)))},
                      {"requirement", c.requirement},
                      {"rules", c.rules}};
  if (!c.paths.empty()) {
    j["rule"] = c.rule_id;
    j["path"] = std::string(to_string(c.path));
  }
  return j;
}

}  // namespace

bool write_list_json(const std::string& path, const std::vector<const Case*>& cases,
                     std::string& error) {
  using nlohmann::json;
  json list = json::array();
  for (const Case* c : cases) {
    json j = case_json(*c);
    // The paths the cell's rule runs on, so that a list of one cell still tells the others.
    if (!c->paths.empty()) {
      json paths = json::array();
      for (const Path p : c->paths) paths.push_back(std::string(to_string(p)));
      j["paths"] = std::move(paths);
    }
    j["budgetMs"] = c->budget.count();
    list.push_back(std::move(j));
  }
  const json doc = {
      {"tool", "flake-conform"}, {"protocol", "flake.v1"}, {"cases", std::move(list)}};
  return write_file(path, doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n", error);
}

bool write_json_report(const std::string& path, const std::vector<CaseResult>& results,
                       const ReportMeta& meta, std::string& error) {
  using nlohmann::json;
  const Tally t = tally(results);
  json doc;
  doc["tool"] = "flake-conform";
  doc["protocol"] = "flake.v1";
  doc["target"] = meta.target;
  if (!meta.sidecar.empty()) doc["sidecar"] = meta.sidecar;
  doc["elapsedMs"] = meta.elapsed.count();
  doc["summary"] = {{"passed", t.passed},
                    {"failed", t.failed},
                    {"unimplemented", t.unimplemented},
                    {"skipped", t.skipped},
                    {"expectedFailures", t.expected_failures},
                    {"unexpectedPasses", t.unexpected_passes}};
  json cases = json::array();
  for (const auto& r : results) {
    json c = case_json(*r.c);
    c["status"] = std::string(to_string(r.outcome.status));
    c["durationMs"] = r.duration.count();
    c["expectedFailure"] = r.expected_failure;
    if (r.outcome.status == Status::Fail) {
      c["expected"] = r.outcome.expected;
      c["actual"] = r.outcome.actual;
    }
    if (!r.outcome.reason.empty()) c["reason"] = r.outcome.reason;
    if (!r.outcome.detail.empty()) c["detail"] = r.outcome.detail;
    c["wire"] = r.wire;
    cases.push_back(std::move(c));
  }
  doc["cases"] = std::move(cases);
  if (const TransportMatrix m = transport_matrix(results); !m.empty()) {
    json rows = json::array();
    for (const MatrixRow& row : m.rows) {
      json cells = json::object();
      for (std::size_t i = 0; i < kPaths.size(); ++i) {
        if (row.cells[i]) cells[std::string(to_string(kPaths[i]))] = to_string(*row.cells[i]);
      }
      rows.push_back({{"rule", row.rule}, {"cells", std::move(cells)}});
    }
    json paths = json::object();
    for (std::size_t i = 0; i < kPaths.size(); ++i) {
      if (m.paths[i].run == 0) continue;
      paths[std::string(to_string(kPaths[i]))] = {{"run", m.paths[i].run},
                                                  {"passed", m.paths[i].passed}};
    }
    doc["matrix"] = {{"paths", std::move(paths)}, {"rules", std::move(rows)}};
  }
  return write_file(path, doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n", error);
}

bool write_junit_report(const std::string& path, const std::vector<CaseResult>& results,
                        const ReportMeta& meta, std::string& error) {
  const Tally t = tally(results);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"flake-conform\" tests=\"" + std::to_string(results.size()) +
       "\" failures=\"" + std::to_string(t.failed + t.unexpected_passes) +
       "\" errors=\"0\" skipped=\"" + std::to_string(t.unimplemented + t.skipped) + "\" time=\"" +
       std::to_string(static_cast<double>(meta.elapsed.count()) / 1000.0) + "\">\n";
  for (const Group g : all_groups()) {
    std::string body;
    std::size_t tests = 0;
    std::size_t failures = 0;
    std::size_t skips = 0;
    std::int64_t suite_ms = 0;
    for (const auto& r : results) {
      if (group_of(*r.c) != g) continue;
      ++tests;
      suite_ms += r.duration.count();
      body +=
          "    <testcase classname=\"flake-conform." + std::string(to_string(g)) + "\" name=\"" +
          xml_escape(r.c->id + " [" + std::string(to_string(r.c->tier)) + "] " + r.c->requirement) +
          "\" time=\"" + std::to_string(static_cast<double>(r.duration.count()) / 1000.0) + "\">\n";
      if (r.expected_failure && r.outcome.status == Status::Pass) {
        // An expected failure that passes fails the run (the list went stale), so CI must see it.
        ++failures;
        body += "      <failure message=\"listed in --expected-failures but passed\">" +
                xml_escape("listed in --expected-failures but passed: remove it from the list") +
                "</failure>\n";
      } else if (r.outcome.status == Status::Fail && !r.expected_failure) {
        ++failures;
        body += "      <failure message=\"" + xml_escape("expected: " + r.outcome.expected) +
                "\">" +
                xml_escape("expected: " + r.outcome.expected + "\nactual: " + r.outcome.actual) +
                "</failure>\n";
      } else if (r.outcome.status == Status::Unimplemented || r.outcome.status == Status::Skipped ||
                 r.expected_failure) {
        ++skips;
        const std::string why =
            r.expected_failure && r.outcome.status == Status::Fail
                ? "expected failure: " + r.outcome.actual
                : std::string(to_string(r.outcome.status)) + ": " + r.outcome.reason;
        body += "      <skipped message=\"" + xml_escape(why) + "\"/>\n";
      }
      std::string wire;
      for (const auto& w : r.wire) wire += w + "\n";
      if (!wire.empty()) body += "      <system-out>" + xml_escape(wire) + "</system-out>\n";
      body += "    </testcase>\n";
    }
    if (tests == 0) continue;
    x += "  <testsuite name=\"flake-conform." + std::string(to_string(g)) + "\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"0\" skipped=\"" + std::to_string(skips) + "\" time=\"" +
         std::to_string(static_cast<double>(suite_ms) / 1000.0) + "\">\n" + body +
         "  </testsuite>\n";
  }
  x += "</testsuites>\n";
  (void)meta;
  return write_file(path, x, error);
}

bool write_reports(const ReportFiles& files, const std::vector<CaseResult>& results,
                   const ReportMeta& meta, std::string_view program) {
  using Writer =
      bool (*)(const std::string&, const std::vector<CaseResult>&, const ReportMeta&, std::string&);
  const std::pair<const std::optional<std::string>*, Writer> reports[] = {
      {&files.json, &write_json_report},
      {&files.junit, &write_junit_report},
      {&files.html, &write_html_report}};
  bool ok = true;
  for (const auto& [path, write] : reports) {
    std::string error;
    if (*path && !write(**path, results, meta, error)) {
      std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(),
                   error.c_str());
      ok = false;
    }
  }
  return ok;
}

}  // namespace flake::conform
