// Plain HTTP requests and SSE streams (docs/rest.md) for the REST+SSE fallback of scenarios.
#include "bindings.hpp"
#include "errors.hpp"

#include "conformance/client/http_client.hpp"
#include "conformance/client/sse_client.hpp"

#include <pybind11/stl.h>

#include <optional>
#include <string>

namespace flake::py {
namespace {

using namespace flake::conform;
using std::chrono::milliseconds;

Url parse_http_url(const std::string& text) {
  std::string error;
  auto url = parse_url(text, &error);
  if (!url) throw pyb::value_error("bad URL " + text + ": " + error);
  return with_path(*url, "/", "http");
}

HeaderList to_headers(const pyb::object& headers) {
  HeaderList out;
  if (headers.is_none()) return out;
  if (pyb::isinstance<pyb::dict>(headers)) {
    for (const auto& [k, v] : headers.cast<pyb::dict>()) {
      out.emplace_back(k.cast<std::string>(), v.cast<std::string>());
    }
    return out;
  }
  for (const auto& pair : headers) {
    const auto p = pair.cast<pyb::sequence>();
    out.emplace_back(p[0].cast<std::string>(), p[1].cast<std::string>());
  }
  return out;
}

pyb::object parse_json_text(const std::string& text) {
  const json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) throw pyb::value_error("body is not JSON: " + text.substr(0, 200));
  return to_python(value);
}

pyb::object header_of(const HttpResponseHead& head, const std::string& name) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto value = head.combined(lower);
  return value ? pyb::object(pyb::str(*value)) : pyb::object(pyb::none());
}

HttpResponse request(const std::string& base, const std::string& method, const std::string& path,
                     const pyb::object& headers, const pyb::object& body,
                     const pyb::object& json_body, const pyb::object& timeout) {
  HttpRequest req;
  req.method = method;
  req.path = path;
  req.headers = to_headers(headers);
  if (!json_body.is_none()) {
    req.body = from_python(json_body).dump();
    bool typed = false;
    for (const auto& [k, v] : req.headers) typed = typed || to_lower(k) == "content-type";
    if (!typed) req.headers.emplace_back("Content-Type", "application/json");
  } else if (!body.is_none()) {
    req.body = pyb::isinstance<pyb::str>(body) || pyb::isinstance<pyb::bytes>(body)
                   ? body.cast<std::string>()
                   : throw pyb::type_error("body must be str or bytes");
  }
  const Url url = parse_http_url(base);
  const milliseconds wait = to_ms(timeout, milliseconds(5000));
  HttpResponse response;
  {
    pyb::gil_scoped_release release;
    response = http_request(url, req, deadline_in(wait));
  }
  if (!response.complete && response.status == 0) {
    PyErr_SetString(PyExc_ConnectionError, (method + " " + path + ": " +
                                            (response.error.empty() ? "no answer" : response.error))
                                               .c_str());
    throw pyb::error_already_set();
  }
  return response;
}

class PySseStream {
 public:
  PySseStream(const std::string& base, const std::string& path, const pyb::object& headers,
              const pyb::object& timeout)
      : timeout_(to_ms(timeout, milliseconds(5000))) {
    HttpRequest req;
    req.path = path;
    req.headers = to_headers(headers);
    bool accept = false;
    for (const auto& [k, v] : req.headers) accept = accept || to_lower(k) == "accept";
    if (!accept) req.headers.emplace_back("Accept", "text/event-stream");
    const Url url = parse_http_url(base);
    pyb::gil_scoped_release release;
    response_ = stream_.open(url, req, deadline_in(timeout_));
  }

  // The next event (every block when skip_comments is off); TimeoutError when none came, None at
  // the end.
  std::optional<SseEvent> next(const pyb::object& timeout, bool skip_comments) {
    const milliseconds wait = to_ms(timeout, timeout_);
    const Deadline end = deadline_in(wait);
    for (;;) {
      std::optional<SseEvent> event;
      bool ended = false;
      {
        pyb::gil_scoped_release release;
        event = stream_.next(end);
        ended = stream_.ended();
      }
      if (!event) {
        if (ended) return std::nullopt;
        raise_timeout("no SSE event within " + std::to_string(wait.count()) + " ms");
      }
      // Comments (heartbeats) and retry-only blocks fire no EventSource event.
      if (skip_comments && !event->dispatched) continue;
      return event;
    }
  }

  const HttpResponse& response() const { return response_; }

 private:
  milliseconds timeout_;
  SseStream stream_;
  HttpResponse response_;
};

}  // namespace

void bind_http(pyb::module_& m) {
  using pyb::arg;
  pyb::class_<HttpResponse>(m, "HttpResponse", "One HTTP response (body not decompressed).")
      .def_readonly("status", &HttpResponse::status)
      .def_readonly("complete", &HttpResponse::complete)
      .def_readonly("error", &HttpResponse::error)
      .def_property_readonly("body", [](const HttpResponse& r) { return pyb::bytes(r.body); })
      .def_property_readonly("text", [](const HttpResponse& r) { return to_python(json(r.body)); })
      .def_property_readonly("headers", [](const HttpResponse& r) { return r.head.headers; })
      .def(
          "header",
          [](const HttpResponse& r, const std::string& name) { return header_of(r.head, name); },
          arg("name"), "All values of the header joined with ', ', or None.")
      .def("json", [](const HttpResponse& r) { return parse_json_text(r.body); })
      .def("__repr__", [](const HttpResponse& r) {
        return "<HttpResponse " + std::to_string(r.status) + ", " + std::to_string(r.body.size()) +
               " bytes>";
      });

  m.def("http_request", &request, arg("base_url"), arg("method") = "GET", arg("path") = "/",
        pyb::kw_only(), arg("headers") = pyb::none(), arg("body") = pyb::none(),
        arg("json") = pyb::none(), arg("timeout") = 5.0,
        "One HTTP/1.1 request to the sidecar at base_url (http:// or ws://, the path is ignored). "
        "json= sends a JSON body with Content-Type: application/json. ConnectionError when no "
        "answer came.");

  pyb::class_<SseEvent>(m, "SseEvent", "One block of an event stream.")
      .def_readonly("event", &SseEvent::event)
      .def_readonly("id", &SseEvent::id)
      .def_readonly("data", &SseEvent::data)
      .def_readonly("retry", &SseEvent::retry)
      .def_readonly("comment_only", &SseEvent::comment_only)
      .def_readonly("dispatched", &SseEvent::dispatched)
      .def("json", [](const SseEvent& e) { return parse_json_text(e.data); })
      .def("__repr__", [](const SseEvent& e) {
        return "<SseEvent " + e.event + " id=" + e.id.value_or("-") + ">";
      });

  pyb::class_<PySseStream>(m, "SseStream", "An EventSource-style reader of one SSE endpoint.")
      .def(pyb::init<const std::string&, const std::string&, const pyb::object&,
                     const pyb::object&>(),
           arg("base_url"), arg("path"), pyb::kw_only(), arg("headers") = pyb::none(),
           arg("timeout") = 5.0)
      .def_property_readonly("status", [](const PySseStream& s) { return s.response().status; })
      .def_property_readonly("headers",
                             [](const PySseStream& s) { return s.response().head.headers; })
      .def(
          "header",
          [](const PySseStream& s, const std::string& name) {
            return header_of(s.response().head, name);
          },
          arg("name"))
      .def_property_readonly("body",
                             [](const PySseStream& s) { return pyb::bytes(s.response().body); })
      .def("next", &PySseStream::next, pyb::kw_only(), arg("timeout") = pyb::none(),
           arg("skip_comments") = true)
      .def("__iter__", [](pyb::object self) { return self; })
      .def("__next__", [](PySseStream& s) {
        auto event = s.next(pyb::none(), true);
        if (!event) throw pyb::stop_iteration();
        return *event;
      });
}

}  // namespace flake::py
