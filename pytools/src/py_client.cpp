// Python bindings of Client and Subscription (py_client.hpp): constructor arguments, raw frame
// senders for negative tests, and the properties scripts read.
#include "py_client.hpp"
#include "bindings.hpp"

#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace flake::py {
namespace {

using namespace flake::conform;

Url parse_ws_url(const std::string& text) {
  std::string error;
  auto url = parse_url(text, &error);
  if (!url) throw pyb::value_error("bad URL " + text + ": " + error);
  if (url->scheme == "http" && (url->path.empty() || url->path == "/")) {
    return with_path(*url, "/rpc", "ws");
  }
  return *url;
}

std::string as_bytes(const pyb::object& data) {
  if (pyb::isinstance<pyb::str>(data)) return data.cast<std::string>();
  if (pyb::isinstance<pyb::bytes>(data)) return data.cast<std::string>();
  if (pyb::isinstance<pyb::bytearray>(data)) {
    return std::string(pyb::reinterpret_borrow<pyb::bytearray>(data));
  }
  throw pyb::type_error("expected str, bytes or bytearray");
}

std::shared_ptr<Client> make_client(const std::string& url, std::optional<std::string> token,
                                    std::optional<std::string> origin,
                                    const std::vector<std::string>& subprotocols,
                                    const pyb::object& timeout, const pyb::object& headers,
                                    std::optional<std::string> host, bool deflate,
                                    const pyb::object& client_info, const pyb::object& via,
                                    bool connect) {
  ClientConfig config;
  config.url = parse_ws_url(url);
  if (!via.is_none()) {
    // TCP goes to the proxy (anything with a .port on 127.0.0.1) while Host still names the
    // sidecar, which checks it (§4.3).
    const int port = via.attr("port").cast<int>();
    if (!host) host = config.url.authority;
    config.url.host = "127.0.0.1";
    config.url.port = static_cast<std::uint16_t>(port);
    config.url.authority = "127.0.0.1:" + std::to_string(port);
  }
  config.token = std::move(token);
  config.connect.origin = std::move(origin);
  config.connect.subprotocols = subprotocols;
  config.connect.host_header = std::move(host);
  config.connect.offer_deflate = deflate;
  if (!headers.is_none()) {
    for (const auto& [k, v] : headers.cast<pyb::dict>()) {
      config.connect.headers.emplace_back(k.cast<std::string>(), v.cast<std::string>());
    }
  }
  config.client_info = client_info.is_none()
                           ? json{{"version", "flakeconform 0.1"}, {"platform", "pytest"}}
                           : from_python(client_info);
  config.timeout = to_ms(timeout, milliseconds(5000));
  auto client = std::make_shared<Client>(std::move(config));
  if (connect) client->connect(true);
  return client;
}

}  // namespace

void bind_client(pyb::module_& m) {
  using pyb::arg;
  pyb::class_<Client, std::shared_ptr<Client>>(
      m, "Client",
      "A flake.v1 client over WebSocket (JSON text frames or MessagePack binary frames).")
      .def(pyb::init(&make_client), arg("url"), arg("token") = pyb::none(), pyb::kw_only(),
           arg("origin") = pyb::none(), arg("subprotocols") = std::vector<std::string>{"flake.v1"},
           arg("timeout") = 5.0, arg("headers") = pyb::none(), arg("host") = pyb::none(),
           arg("deflate") = false, arg("client_info") = pyb::none(), arg("via") = pyb::none(),
           arg("connect") = true)
      .def("connect", &Client::connect, arg("authenticate") = true,
           "Opens a new connection (dropping the old one and whatever it had queued), then "
           "authenticates when the client has a token.")
      .def("authenticate", &Client::authenticate, arg("token") = pyb::none(),
           arg("client_info") = pyb::none(), arg("timeout") = pyb::none())
      .def("call", &Client::call, arg("method"), arg("params") = pyb::none(), pyb::kw_only(),
           arg("timeout") = pyb::none(), arg("msgpack") = false)
      .def("notify", &Client::notify, arg("method"), arg("params") = pyb::none(), pyb::kw_only(),
           arg("msgpack") = false)
      .def("batch", &Client::batch, arg("members"), pyb::kw_only(), arg("timeout") = pyb::none(),
           arg("msgpack") = false)
      .def(
          "subscribe",
          [](const std::shared_ptr<Client>& self, const std::string& method,
             const pyb::object& params, const pyb::object& timeout) {
            const auto dot = method.rfind('.');
            if (dot == std::string::npos || method.substr(dot) != ".subscribe") {
              throw pyb::value_error("expected a *.subscribe method, got " + method);
            }
            const json result = from_python(self->call(method, params, timeout, false));
            if (!result.is_object() || !result.contains("subscription") ||
                !result["subscription"].is_string()) {
              raise_protocol_error(method +
                                   " answered without a subscription id: " + result.dump());
            }
            return Subscription(self, result["subscription"].get<std::string>(),
                                method.substr(0, dot), result);
          },
          arg("method"), arg("params") = pyb::none(), pyb::kw_only(), arg("timeout") = pyb::none())
      .def("next_notification", &Client::next_notification, pyb::kw_only(),
           arg("timeout") = pyb::none(), arg("method") = pyb::none())
      .def("resume", &Client::resume, arg("session_id"), arg("last_seq"), pyb::kw_only(),
           arg("timeout") = pyb::none())
      .def("send", &Client::send, arg("message"), pyb::kw_only(), arg("msgpack") = false)
      .def("receive", &Client::receive, pyb::kw_only(), arg("timeout") = pyb::none())
      .def(
          "send_text",
          [](Client& self, const pyb::object& data) {
            const std::string bytes = as_bytes(data);
            self.raw([&](WsClient& ws) { return ws.send_text(bytes); });
          },
          arg("data"))
      .def(
          "send_binary",
          [](Client& self, const pyb::object& data) {
            const std::string bytes = as_bytes(data);
            self.raw([&](WsClient& ws) { return ws.send_binary(bytes); });
          },
          arg("data"))
      .def(
          "send_frame",
          [](Client& self, int opcode, const pyb::object& payload, bool fin, int rsv, bool masked) {
            if (opcode < 0 || opcode > 15 || rsv < 0 || rsv > 7) {
              throw pyb::value_error("opcode is 0..15 and rsv 0..7");
            }
            FrameSpec spec;
            spec.opcode = static_cast<std::uint8_t>(opcode);
            spec.fin = fin;
            spec.rsv = static_cast<std::uint8_t>(rsv);
            spec.masked = masked;
            const std::string bytes = as_bytes(payload);
            self.raw([&](WsClient& ws) { return ws.send_frame(spec, bytes); });
          },
          arg("opcode"), arg("payload") = pyb::bytes(), pyb::kw_only(), arg("fin") = true,
          arg("rsv") = 0, arg("masked") = true)
      .def(
          "send_raw",
          [](Client& self, const pyb::object& data) {
            const std::string bytes = as_bytes(data);
            self.raw([&](WsClient& ws) { return ws.send_raw(bytes); });
          },
          arg("data"))
      .def(
          "send_ping",
          [](Client& self, const pyb::object& data) {
            const std::string bytes = as_bytes(data);
            self.raw([&](WsClient& ws) { return ws.send_ping(bytes); });
          },
          arg("payload") = pyb::bytes())
      .def("receive_raw", &Client::receive_raw, pyb::kw_only(), arg("timeout") = pyb::none())
      .def("close", &Client::close, arg("code") = 1000, pyb::kw_only(), arg("timeout") = 1.0)
      .def("abort", &Client::abort)
      .def("__enter__", [](const std::shared_ptr<Client>& self) { return self; })
      .def("__exit__", [](Client& self, const pyb::args&) { self.close(1000, pyb::float_(1.0)); })
      .def_property_readonly("url",
                             [](const Client& self) {
                               const Url& u = self.config().url;
                               return u.scheme + "://" + u.authority + u.path;
                             })
      .def_property_readonly("token", [](const Client& self) { return self.config().token; })
      .def_property_readonly("session_id",
                             [](const Client& self) {
                               return self.session_id().empty()
                                          ? pyb::object(pyb::none())
                                          : pyb::object(pyb::str(self.session_id()));
                             })
      .def_property_readonly("auth_result",
                             [](const Client& self) { return to_python(self.auth_result()); })
      .def_property_readonly(
          "capabilities",
          [](const Client& self) {
            const json& r = self.auth_result();
            return to_python(r.is_object() ? r.value("capabilities", json()) : json());
          })
      .def_property_readonly("subprotocol", &Client::subprotocol)
      .def_property_readonly("deflate", &Client::deflate)
      .def_property_readonly("connected", &Client::connected)
      .def_property_readonly("pending_notifications", &Client::pending)
      .def_property_readonly("last_reply_binary", &Client::last_binary);

  pyb::class_<Subscription>(m, "Subscription", "Notifications of one *.subscribe call.")
      .def_property_readonly("id", &Subscription::id)
      .def_property_readonly("family", &Subscription::family)
      .def_property_readonly("result", &Subscription::result)
      .def("next", &Subscription::next, pyb::kw_only(), arg("timeout") = pyb::none())
      .def("take", &Subscription::take, arg("n"), pyb::kw_only(), arg("timeout") = pyb::none())
      .def("drain", &Subscription::drain, pyb::kw_only(), arg("quiet") = 0.2, arg("limit") = 100000)
      .def("unsubscribe", &Subscription::unsubscribe, pyb::kw_only(), arg("timeout") = pyb::none())
      .def("__iter__", [](pyb::object self) { return self; })
      .def("__next__", [](Subscription& self) { return self.next(pyb::none()); });
}

}  // namespace flake::py
