// --json and --junit: every case with its outcome and wire log, for CI dashboards; and the one
// place that writes whichever report files a run asked for.
#include "conformance/harness/report/report.hpp"

#include "conformance/harness/matrix.hpp"
#include "conformance/harness/report/text.hpp"

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

nlohmann::json measurement_json(const Measurement& m) {
  nlohmann::json j = {{"name", m.name}, {"unit", m.unit},   {"value", m.value},
                      {"bar", m.bar},   {"below", m.below}, {"missesBar", misses_bar(m)}};
  if (m.percentile) j["percentile"] = *m.percentile;
  nlohmann::json q = nlohmann::json::array();
  for (const Quantile& p : m.quantiles)
    q.push_back({{"percentile", p.percentile}, {"value", p.value}});
  j["quantiles"] = std::move(q);
  return j;
}

// The failed first attempt of a rerun case, and what the rerun found.
nlohmann::json rerun_json(const CaseResult& r) {
  const Attempt& first = *r.first_attempt;
  nlohmann::json f = {{"status", std::string(to_string(first.outcome.status))},
                      {"expected", first.outcome.expected},
                      {"actual", first.outcome.actual},
                      {"durationMs", first.duration.count()},
                      {"wire", first.wire}};
  if (first.outcome.measurement) f["measurement"] = measurement_json(*first.outcome.measurement);
  return {{"status", std::string(to_string(r.outcome.status))}, {"first", std::move(f)}};
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
    if (timing_dependent(*c)) j["timingDependent"] = true;
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
                    {"unexpectedPasses", t.unexpected_passes},
                    {"passedOnRerun", t.passed_on_rerun}};
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
    if (r.outcome.measurement) c["measurement"] = measurement_json(*r.outcome.measurement);
    if (r.first_attempt) c["rerun"] = rerun_json(r);
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

namespace {

std::string seconds(std::int64_t ms) {
  return std::to_string(static_cast<double>(ms) / 1000.0);
}

// The one JUnit element a case gets beside its system-out, if any: a JUnit consumer has pass, skip
// and failure, and the run's verdict decides which (see write_junit_report in report.hpp).
struct JunitOutcome {
  const char* element = nullptr;  // "failure", "skipped", or none for a pass
  std::string message;            // the attribute: one line a consumer shows in its list
  std::string text;               // the element's content: the whole story
};

// A rerun case's first attempt, as the failure text and system-out tell it.
std::string first_attempt_text(const CaseResult& r) {
  if (!r.first_attempt) return {};
  const Outcome& f = r.first_attempt->outcome;
  return std::string(passed_on_rerun(r) ? "failed, passed on rerun" : "failed twice") +
         " (timing-dependent: run again once)\nfirst attempt: expected: " + f.expected +
         "\nfirst attempt: actual: " + f.actual + "\n";
}

// Surefire's rerun convention, which Jenkins and GitLab show: a pass on rerun carries its failed
// first attempt as <flakyFailure> (the case stays green, marked flaky); a case that failed twice
// carries the rerun as <rerunFailure> beside its <failure>.
std::string rerun_element(const CaseResult& r) {
  if (!r.first_attempt) return {};
  const bool flaky = passed_on_rerun(r);
  const Outcome& shown = flaky ? r.first_attempt->outcome : r.outcome;
  if (shown.status != Status::Fail) return {};
  const char* element = flaky ? "flakyFailure" : "rerunFailure";
  return "      <" + std::string(element) + " type=\"timing-dependent\" message=\"" +
         xml_escape((flaky ? "first attempt failed: expected: " : "rerun failed too: expected: ") +
                    shorten(shown.expected, 300)) +
         "\">" + xml_escape("expected: " + shown.expected + "\nactual: " + shown.actual) + "</" +
         element + ">\n";
}

JunitOutcome junit_outcome(const CaseResult& r, bool strict) {
  const Outcome& o = r.outcome;
  const std::string expected_actual =
      first_attempt_text(r) + "expected: " + o.expected + "\nactual: " + o.actual;
  if (fails_run(r, strict)) {
    if (o.status == Status::Pass) {
      return {"failure", "listed in --expected-failures but passed",
              "listed in --expected-failures but passed: remove it from the list"};
    }
    if (o.status == Status::Unimplemented) {
      const std::string why = "unimplemented (fails the run with --strict): " + o.reason;
      return {"failure", why, why};
    }
    return {
        "failure",
        (r.first_attempt ? "failed twice: expected: " : "expected: ") + shorten(o.expected, 300),
        expected_actual};
  }
  switch (o.status) {
    case Status::Pass:
      return {};
    case Status::Fail:
      if (r.expected_failure) {
        return {"skipped",
                "expected failure (listed in --expected-failures): " + shorten(o.actual, 300),
                "expected failure (listed in --expected-failures)\n" + expected_actual};
      }
      // A SHOULD failure without --strict: the run passes, so a consumer must not show red; as
      // skipped it stays counted and visible, which a pass with a note would not be.
      return {"skipped",
              "SHOULD-tier failure, which fails the run only with --strict: expected: " +
                  shorten(o.expected, 300),
              "SHOULD-tier failure, which fails the run only with --strict\n" + expected_actual};
    case Status::Unimplemented:
    case Status::Skipped: {
      const std::string why = std::string(to_string(o.status)) + ": " + o.reason;
      return {"skipped", why, why};
    }
  }
  return {};
}

}  // namespace

bool write_junit_report(const std::string& path, const std::vector<CaseResult>& results,
                        const ReportMeta& meta, std::string& error) {
  std::string suites;
  std::size_t total_tests = 0;
  std::size_t total_failures = 0;
  for (const Group g : all_groups()) {
    const std::string suite_name = "flake-conform." + std::string(to_string(g));
    std::string body;
    std::size_t tests = 0;
    std::size_t failures = 0;
    std::size_t skips = 0;
    std::int64_t suite_ms = 0;
    for (const auto& r : results) {
      if (group_of(*r.c) != g) continue;
      ++tests;
      suite_ms += r.duration.count();
      // The name is the stable case ID, so that CI history survives a reworded requirement; the
      // requirement goes into the body.
      body += "    <testcase classname=\"" + xml_escape(suite_name) + "\" name=\"" +
              xml_escape(r.c->id) + "\" time=\"" + seconds(r.duration.count()) + "\">\n";
      const JunitOutcome j = junit_outcome(r, meta.strict);
      if (j.element != nullptr) {
        (std::string_view(j.element) == "failure" ? failures : skips) += 1;
        body += "      <" + std::string(j.element) + " message=\"" + xml_escape(j.message) + "\">" +
                xml_escape(j.text) + "</" + j.element + ">\n";
      }
      body += rerun_element(r);
      std::string out = "[" + std::string(to_string(r.c->tier)) + "] " + r.c->requirement +
                        "\nrules: " + rules_text(*r.c) + "\n";
      if (!r.outcome.detail.empty()) out += r.outcome.detail + "\n";
      // A pass on rerun stays a pass, with the failed first attempt and its wire log told here.
      if (passed_on_rerun(r)) {
        out += first_attempt_text(r) + "first attempt's wire log:\n";
        for (const auto& w : r.first_attempt->wire) out += w + "\n";
        out += "rerun's wire log:\n";
      }
      for (const auto& w : r.wire) out += w + "\n";
      if (r.wire_dropped > 0) out += "... " + std::to_string(r.wire_dropped) + " more lines\n";
      body += "      <system-out>" + xml_escape(out) + "</system-out>\n";
      body += "    </testcase>\n";
    }
    if (tests == 0) continue;
    total_tests += tests;
    total_failures += failures;
    suites += "  <testsuite name=\"" + xml_escape(suite_name) + "\" tests=\"" +
              std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
              "\" errors=\"0\" skipped=\"" + std::to_string(skips) + "\" time=\"" +
              seconds(suite_ms) + "\">\n" + body + "  </testsuite>\n";
  }
  // <testsuites> carries no skipped count: the Jenkins xunit plugin's JUnit schema rejects one.
  // Its counts are the sums of its suites', so no consumer sees two different numbers.
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"flake-conform\" tests=\"" + std::to_string(total_tests) +
       "\" failures=\"" + std::to_string(total_failures) + "\" errors=\"0\" time=\"" +
       seconds(meta.elapsed.count()) + "\">\n" + suites + "</testsuites>\n";
  return write_file(path, x, error);
}

bool write_reports(const ReportFiles& files, const std::vector<CaseResult>& results,
                   const ReportMeta& meta, std::string_view program) {
  using Writer =
      bool (*)(const std::string&, const std::vector<CaseResult>&, const ReportMeta&, std::string&);
  const std::pair<const std::optional<std::string>*, Writer> reports[] = {
      {&files.json, &write_json_report},
      {&files.junit, &write_junit_report},
      {&files.html, &write_html_report},
      {&files.summary, &write_summary_report}};
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
