// FaultProxy: the harness's loopback fault-injecting TCP proxy, for network failures in scenarios.
#include "bindings.hpp"
#include "errors.hpp"

#include "conformance/client/fault_proxy.hpp"

#include <memory>
#include <string>

namespace flake::py {
namespace {

using flake::conform::FaultProxy;

class PyFaultProxy {
 public:
  PyFaultProxy(const std::string& host, int port) {
    if (port <= 0 || port > 65535) throw pyb::value_error("port must be 1..65535");
    std::string error;
    proxy_ = FaultProxy::start(host, static_cast<std::uint16_t>(port), nullptr, error);
    if (!proxy_) throw std::runtime_error("cannot start the fault proxy: " + error);
  }

  FaultProxy& proxy() {
    if (!proxy_) throw std::runtime_error("the fault proxy is closed");
    return *proxy_;
  }

  // Every fault call waits for the forwarding thread: release the GIL meanwhile.
  template <typename F>
  void apply(F f) {
    FaultProxy& p = proxy();
    pyb::gil_scoped_release release;
    f(p);
  }

  void close() {
    pyb::gil_scoped_release release;
    proxy_.reset();
  }

  int port() { return proxy().port(); }

 private:
  std::unique_ptr<FaultProxy> proxy_;
};

}  // namespace

void bind_fault_proxy(pyb::module_& m) {
  using pyb::arg;
  pyb::class_<PyFaultProxy>(
      m, "FaultProxy",
      "A TCP proxy on 127.0.0.1 that injects network faults between a client and a sidecar.")
      .def(pyb::init<const std::string&, int>(), arg("host"), arg("port"))
      .def(
          "cut", [](PyFaultProxy& self) { self.apply([](FaultProxy& p) { p.cut(); }); },
          "Closes every proxied connection on both sides with FIN (no WebSocket close).")
      .def(
          "reset", [](PyFaultProxy& self) { self.apply([](FaultProxy& p) { p.reset(); }); },
          "Closes every proxied connection on both sides with RST.")
      .def(
          "stall",
          [](PyFaultProxy& self, bool on) { self.apply([on](FaultProxy& p) { p.stall(on); }); },
          arg("on") = true, "While on, nothing is forwarded; connections stay open.")
      .def(
          "throttle",
          [](PyFaultProxy& self, std::size_t rate) {
            self.apply([rate](FaultProxy& p) { p.throttle(rate); });
          },
          arg("bytes_per_second"), "Caps each direction of each connection; 0 lifts the cap.")
      .def(
          "refuse",
          [](PyFaultProxy& self, bool on) { self.apply([on](FaultProxy& p) { p.refuse(on); }); },
          arg("on") = true, "While on, new connections are reset at once (a blocked port).")
      .def("stats",
           [](PyFaultProxy& self) {
             const auto s = self.proxy().stats();
             pyb::dict out;
             out["open"] = s.open;
             out["accepted"] = s.accepted;
             out["to_upstream"] = s.to_upstream;
             out["to_client"] = s.to_client;
             return out;
           })
      .def("close", &PyFaultProxy::close)
      .def("__enter__", [](pyb::object self) { return self; })
      .def("__exit__", [](PyFaultProxy& self, const pyb::args&) { self.close(); })
      .def_property_readonly("port", &PyFaultProxy::port)
      .def_property_readonly("url",
                             [](PyFaultProxy& self) {
                               return "ws://127.0.0.1:" + std::to_string(self.port()) + "/rpc";
                             })
      .def_property_readonly("http_url", [](PyFaultProxy& self) {
        return "http://127.0.0.1:" + std::to_string(self.port());
      });
}

}  // namespace flake::py
