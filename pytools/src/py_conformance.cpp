// run_conformance / list_cases: the flake-conform catalogue, run in-process against a URL, with
// one structured result per case instead of a console report.
#include "bindings.hpp"
#include "errors.hpp"

#include "conformance/cases/cases.hpp"
#include "conformance/harness/catalog.hpp"
#include "conformance/harness/target/preflight.hpp"
#include "conformance/harness/runner.hpp"

#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace flake::py {
namespace {

using namespace flake::conform;

struct PyCaseResult {
  std::string id;
  std::string tier;
  std::string group;
  std::string status;
  std::string message;
  std::string requirement;
  long long duration_ms = 0;
};

class QuietProgress : public ProgressSink {
 public:
  void case_started(const Case&, std::size_t, std::size_t) override {}
  void case_finished(const CaseResult&, std::size_t, std::size_t) override {}
};

std::string message_of(const Outcome& o) {
  switch (o.status) {
    case Status::Fail:
      return "expected " + o.expected + "; got " + o.actual;
    case Status::Pass:
      return o.detail;
    case Status::Unimplemented:
    case Status::Skipped:
      return o.reason;
  }
  return {};
}

std::vector<PyCaseResult> run_conformance(const std::string& url, const std::string& token,
                                          const std::vector<std::string>& select,
                                          const std::vector<std::string>& exclude,
                                          const pyb::object& timeout) {
  std::string error;
  const auto parsed = parse_url(url, &error);
  if (!parsed) throw pyb::value_error("bad URL " + url + ": " + error);
  Target target;
  target.url = parsed->scheme == "http" ? with_path(*parsed, "/rpc", "ws") : *parsed;
  target.token = token;
  target.timeout = to_ms(timeout, std::chrono::milliseconds(5000));
  const Catalog catalog = build_catalog();
  const auto cases = select_cases(catalog, select, exclude);
  if (cases.empty()) throw pyb::value_error("no case matched the selection");
  // As the CLI's exit status 2: an unreachable target or a refused token raises here, as a
  // Client would, instead of failing every case.
  Preflight check;
  {
    pyb::gil_scoped_release release;
    check = preflight(target);
  }
  if (check.verdict == Preflight::Verdict::Unreachable) {
    raise_handshake_error(check.http_status, check.error, "");
  }
  if (check.verdict == Preflight::Verdict::TokenRejected) {
    raise_rpc_error({{"code", -32001}, {"message", check.error}});
  }
  if (!check.warning.empty() && PyErr_WarnEx(PyExc_RuntimeWarning, check.warning.c_str(), 1) != 0) {
    throw pyb::error_already_set();
  }
  std::vector<CaseResult> results;
  {
    pyb::gil_scoped_release release;
    QuietProgress quiet;
    results = run_cases(cases, target, RunConfig{}, quiet);
  }
  std::vector<PyCaseResult> out;
  for (const auto& r : results) {
    out.push_back({r.c->id, std::string(to_string(r.c->tier)),
                   std::string(to_string(group_of(*r.c))), std::string(to_string(r.outcome.status)),
                   message_of(r.outcome), r.c->requirement,
                   static_cast<long long>(r.duration.count())});
  }
  return out;
}

pyb::list list_cases(const std::vector<std::string>& select,
                     const std::vector<std::string>& exclude) {
  const Catalog catalog = build_catalog();
  pyb::list out;
  for (const Case* c : select_cases(catalog, select, exclude)) {
    pyb::dict d;
    d["id"] = c->id;
    d["tier"] = std::string(to_string(c->tier));
    d["group"] = std::string(to_string(group_of(*c)));
    d["requirement"] = c->requirement;
    d["rules"] = c->rules;
    out.append(d);
  }
  return out;
}

}  // namespace

void bind_conformance(pyb::module_& m) {
  using pyb::arg;
  pyb::class_<PyCaseResult>(m, "CaseResult", "The outcome of one conformance case.")
      .def_readonly("id", &PyCaseResult::id)
      .def_readonly("tier", &PyCaseResult::tier)
      .def_readonly("group", &PyCaseResult::group)
      .def_readonly("status", &PyCaseResult::status)
      .def_readonly("message", &PyCaseResult::message)
      .def_readonly("requirement", &PyCaseResult::requirement)
      .def_readonly("duration_ms", &PyCaseResult::duration_ms)
      .def("__repr__",
           [](const PyCaseResult& r) { return "<CaseResult " + r.id + " " + r.status + ">"; });
  m.def(
      "run_conformance", &run_conformance, arg("url"), pyb::kw_only(), arg("token"),
      arg("select") = std::vector<std::string>{}, arg("exclude") = std::vector<std::string>{},
      arg("timeout") = 5.0,
      "Runs the selected flake-conform cases (selectors: IDs, ID prefixes or group names) against "
      "the sidecar at url and returns one CaseResult per case.");
  m.def("list_cases", &list_cases, pyb::kw_only(), arg("select") = std::vector<std::string>{},
        arg("exclude") = std::vector<std::string>{});
  pyb::list groups;
  for (const Group g : all_groups()) groups.append(std::string(to_string(g)));
  m.attr("GROUPS") = groups;
}

}  // namespace flake::py
