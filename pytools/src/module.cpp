// flakeconform: the harness's flake.v1 client library (conformance/) for Python scenario tests.
#include "bindings.hpp"
#include "errors.hpp"

#include "conformance/client/chunk_assembler.hpp"

#include <nlohmann/json.hpp>

#ifndef FLAKE_VERSION
#define FLAKE_VERSION "0.0.0"
#endif

namespace {

namespace pyb = pybind11;

pyb::bytes msgpack_encode(const pyb::object& value) {
  const std::vector<std::uint8_t> bytes = nlohmann::json::to_msgpack(flake::py::from_python(value));
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

pyb::object msgpack_decode(const pyb::bytes& data) {
  const std::string raw = data;
  // nlohmann's decoder recurses per level: refuse absurd nesting before decoding.
  if (!flake::conform::msgpack_nesting_within(raw, 512)) {
    throw pyb::value_error("MessagePack value nested deeper than 512 levels");
  }
  const auto value = nlohmann::json::from_msgpack(raw.begin(), raw.end(), true, false);
  if (value.is_discarded()) throw pyb::value_error("not one complete MessagePack value");
  return flake::py::to_python(value);
}

}  // namespace

PYBIND11_MODULE(flakeconform, m) {
  m.doc() =
      "flake.v1 client tools for scenario tests: Client, Sidecar, FaultProxy, HTTP/SSE, "
      "run_conformance.";
  m.attr("__version__") = FLAKE_VERSION;
  m.attr("PROTOCOL") = "flake.v1";
  flake::py::define_errors(m);
  flake::py::bind_client(m);
  flake::py::bind_sidecar(m);
  flake::py::bind_fault_proxy(m);
  flake::py::bind_http(m);
  flake::py::bind_conformance(m);
  flake::py::bind_reference_client(m);
  m.def("msgpack_encode", &msgpack_encode, pyb::arg("value"),
        "Encodes a JSON-like value (bytes become bin) as MessagePack.");
  m.def("msgpack_decode", &msgpack_decode, pyb::arg("data"),
        "Decodes one MessagePack value (bin becomes bytes); ValueError when malformed.");
}
