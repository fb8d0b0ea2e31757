// ReferenceClient: the reference client (reference/client, its own codecs) for scenarios that need
// a client which survives faults: it reconnects, resumes, re-subscribes and keeps its breakers
// (docs/protocol.md §7.3-§7.8) while the scenario breaks the network or restarts the sidecar.
#include "bindings.hpp"
#include "errors.hpp"

#include "reference/client/client.hpp"
#include "reference/client/event_queue.hpp"
#include "reference/codec/json.hpp"

#include <pybind11/stl.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

namespace flake::py {
namespace {

namespace rc = flake::client;

// JSON crosses into the reference client as text: its parser is its own (cJSON), never the
// harness's. An empty params text sends no params.
std::string params_text(const pyb::object& params) {
  return params.is_none() ? std::string() : from_python(params).dump();
}

pyb::object parse_text(const std::string& text) {
  if (text.empty()) return pyb::none();
  const json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) throw std::runtime_error("the reference client returned bad JSON");
  return to_python(value);
}

pyb::dict event_dict(const rc::Event& e) {
  // The §13.4 line is the event's one description: reuse it rather than a second mapping.
  return parse_text(rc::to_json_line(e)).cast<pyb::dict>();
}

// Waits for a future with the GIL released, so the client's I/O thread and Python threads go on.
template <typename T>
T wait(std::future<T>& f) {
  pyb::gil_scoped_release release;
  return f.get();
}

// A call's outcome as Python sees it: the result, or the matching exception.
pyb::object result_or_raise(const rc::CallResult& r) {
  switch (r.outcome) {
    case rc::Outcome::kResult:
      return parse_text(r.result_json);
    case rc::Outcome::kError: {
      json error = {{"code", r.error ? r.error->code : 0},
                    {"message", r.error ? r.error->message : std::string()}};
      if (r.error && !r.error->data_json.empty()) {
        error["data"] = json::parse(r.error->data_json, nullptr, false);
      }
      raise_rpc_error(error);
    }
    case rc::Outcome::kBreaker:
      throw std::runtime_error(r.method +
                               ": failed locally, the service's circuit breaker is open");
    case rc::Outcome::kTimeout:
      raise_timeout(r.method);
    case rc::Outcome::kTransport:
      break;
  }
  raise_connection_closed(1006, r.method + ": the connection ended before the answer");
}

class PyReferenceClient {
 public:
  PyReferenceClient(std::string url, std::string token, double backoff_base, double breaker_open,
                    double call_timeout, std::vector<std::string> defects) {
    rc::ClientConfig config;
    config.url = std::move(url);
    config.token = std::move(token);
    config.backoff_base = seconds_to_ms(backoff_base, "backoff_base");
    config.breaker_open = seconds_to_ms(breaker_open, "breaker_open");
    config.call_timeout = seconds_to_ms(call_timeout, "call_timeout");
    for (const auto& name : defects) {
      if (!rc::find_client_defect(name)) throw pyb::value_error("unknown client defect: " + name);
    }
    client_ = std::make_unique<rc::Client>(config, rc::ClientBehaviour::from_names(defects),
                                           events_.handler());
    client_->start();
  }
  ~PyReferenceClient() { close(); }

  pyb::object call(const std::string& method, const pyb::object& params) {
    auto f = client().call(method, params_text(params));
    return result_or_raise(wait(f));
  }

  pyb::object subscribe(const std::string& method, const pyb::object& params) {
    auto f = client().subscribe(method, params_text(params));
    return result_or_raise(wait(f));
  }

  pyb::list batch(const pyb::list& requests) {
    std::vector<rc::CallRequest> members;
    for (const pyb::handle item : requests) {
      const auto pair = item.cast<pyb::tuple>();
      if (pair.size() != 2) throw pyb::value_error("batch members are (method, params) pairs");
      members.push_back({pair[0].cast<std::string>(), params_text(pair[1].cast<pyb::object>())});
    }
    auto f = client().batch(std::move(members));
    const std::vector<rc::CallResult> results = wait(f);
    pyb::list out;
    for (const auto& r : results) {
      pyb::dict d;
      d["method"] = r.method;
      d["outcome"] = std::string(rc::outcome_name(r.outcome));
      if (r.outcome == rc::Outcome::kResult) d["result"] = parse_text(r.result_json);
      if (r.error) {
        d["code"] = r.error->code;
        d["message"] = r.error->message;
      }
      out.append(d);
    }
    return out;
  }

  pyb::dict get_large(const pyb::object& params) {
    auto f = client().get_large(params_text(params));
    const rc::LargeResult r = wait(f);
    pyb::dict d;
    d["verified"] = r.verified;
    d["reason"] = r.reason;
    d["format"] = r.format;
    d["compressed"] = r.compressed;
    d["entries"] = r.verified && r.entries ? parse_text(print_json(r.entries.get())) : pyb::list();
    return d;
  }

  // The next §13.4 event as a dict, or None when none came within `timeout` seconds.
  pyb::object next_event(const pyb::object& timeout) {
    const auto wait_for = to_ms(timeout, std::chrono::milliseconds(5000));
    std::optional<rc::Event> e;
    {
      pyb::gil_scoped_release release;
      e = events_.pop(wait_for);
    }
    return e ? pyb::object(event_dict(*e)) : pyb::none();
  }

  bool gave_up() { return client().gave_up(); }

  void close() {
    if (!client_) return;
    pyb::gil_scoped_release release;
    client_->stop();
    client_.reset();
  }

 private:
  static std::chrono::milliseconds seconds_to_ms(double s, const char* what) {
    if (!(s > 0)) throw pyb::value_error(std::string(what) + " must be positive (seconds)");
    return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0 + 0.5));
  }

  rc::Client& client() {
    if (!client_) throw std::runtime_error("the reference client is closed");
    return *client_;
  }

  // Bounded: past its capacity the oldest events are dropped, so a scenario that never reads
  // them cannot grow memory without end.
  rc::EventQueue events_{100000};
  std::unique_ptr<rc::Client> client_;  // last: stopped before the queue it feeds goes away
};

}  // namespace

void bind_reference_client(pyb::module_& m) {
  using pyb::arg;
  pyb::class_<PyReferenceClient>(
      m, "ReferenceClient",
      "The reference flake.v1 client (reference/client): connects and authenticates at once, "
      "reconnects with back-off, resumes or re-subscribes, keeps one circuit breaker per service. "
      "Calls wait until it is connected; they raise RpcError, TimeoutError, ConnectionClosed, or "
      "RuntimeError when the breaker failed them locally.")
      .def(pyb::init<std::string, std::string, double, double, double, std::vector<std::string>>(),
           arg("url"), arg("token"), pyb::kw_only(), arg("backoff_base") = 1.0,
           arg("breaker_open") = 30.0, arg("call_timeout") = 10.0,
           arg("defects") = std::vector<std::string>{})
      .def("call", &PyReferenceClient::call, arg("method"), arg("params") = pyb::none(),
           "One request; its result.")
      .def("subscribe", &PyReferenceClient::subscribe, arg("method"), arg("params"),
           "A *.subscribe call the client keeps across reconnections; its result.")
      .def("batch", &PyReferenceClient::batch, arg("requests"),
           "One batch of (method, params) pairs; a dict per member in request order.")
      .def("get_large", &PyReferenceClient::get_large, arg("params"),
           "logs.getLarge assembled and checked: {verified, reason, format, compressed, entries}.")
      .def("next_event", &PyReferenceClient::next_event, arg("timeout") = pyb::none(),
           "The next event (docs/protocol.md §13.4) as a dict, or None after `timeout` seconds.")
      .def_property_readonly("gave_up", &PyReferenceClient::gave_up)
      .def("close", &PyReferenceClient::close, "Closes the connection (1000) and stops the client.")
      .def("__enter__", [](PyReferenceClient& self) -> PyReferenceClient& { return self; })
      .def("__exit__", [](PyReferenceClient& self, const pyb::args&) { self.close(); });
}

}  // namespace flake::py
