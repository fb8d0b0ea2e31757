// Exception classes written in Python (so they are ordinary, picklable exceptions with attributes)
// and created once at import; C++ raises them through PyErr_SetObject.
#include "errors.hpp"

#include "conformance/client/rpc_client.hpp"

#include <pybind11/eval.h>

#include <cmath>

namespace flake::py {
namespace {

// Kept for the life of the process on purpose: releasing them at exit would run after the
// interpreter is gone.
pyb::handle g_rpc_error, g_connection_closed, g_handshake_error, g_protocol_error;

constexpr const char* kClasses = R"PY(
class FlakeError(Exception):
    """Base class of every error raised by flakeconform."""


class RpcError(FlakeError):
    """A JSON-RPC error response: code, message and data (None when absent)."""

    def __init__(self, code, message, data=None):
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self):
        extra = "" if self.data is None else f" {self.data!r}"
        return f"JSON-RPC error {self.code}: {self.message}{extra}"


class ConnectionClosed(FlakeError):
    """The connection ended: code is the close frame's code, 1005 for a close frame without one,
    1006 for a connection that ended without any close frame."""

    def __init__(self, code, reason=""):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self):
        return f"connection closed ({self.code}){': ' + self.reason if self.reason else ''}"


class HandshakeError(FlakeError, ConnectionError):
    """The WebSocket upgrade did not happen: status is the HTTP status (0 when no HTTP answer
    came), error says why, body is the refusal's body (str)."""

    def __init__(self, status, error, body=""):
        super().__init__(status, error, body)
        self.status = status
        self.error = error
        self.body = body

    def __str__(self):
        return f"WebSocket handshake failed (HTTP {self.status}): {self.error}"


class ProtocolError(FlakeError):
    """The peer broke RFC 6455 or sent a message that does not decode."""
)PY";

[[noreturn]] void raise_instance(pyb::handle cls, const pyb::tuple& args) {
  pyb::object instance = cls(*args);
  PyErr_SetObject(cls.ptr(), instance.ptr());
  throw pyb::error_already_set();
}

}  // namespace

void define_errors(pyb::module_& m) {
  pyb::dict scope;
  scope["__builtins__"] = pyb::module_::import("builtins");
  scope["__name__"] = m.attr("__name__");
  pyb::exec(kClasses, scope);
  for (const char* name :
       {"FlakeError", "RpcError", "ConnectionClosed", "HandshakeError", "ProtocolError"}) {
    m.attr(name) = scope[name];
  }
  g_rpc_error = pyb::object(scope["RpcError"]).release();
  g_connection_closed = pyb::object(scope["ConnectionClosed"]).release();
  g_handshake_error = pyb::object(scope["HandshakeError"]).release();
  g_protocol_error = pyb::object(scope["ProtocolError"]).release();
}

void raise_rpc_error(const json& error) {
  const json code = error.is_object() ? error.value("code", json()) : json();
  const json message = error.is_object() ? error.value("message", json("")) : json(error.dump());
  const json data = error.is_object() ? error.value("data", json()) : json();
  raise_instance(g_rpc_error,
                 pyb::make_tuple(to_python(code), to_python(message), to_python(data)));
}

void raise_connection_closed(int code, const std::string& reason) {
  raise_instance(g_connection_closed, pyb::make_tuple(code, reason));
}

void raise_handshake_error(int status, const std::string& error, const std::string& body) {
  raise_instance(g_handshake_error, pyb::make_tuple(status, error, to_python(json(body))));
}

void raise_protocol_error(const std::string& what) {
  raise_instance(g_protocol_error, pyb::make_tuple(what));
}

void raise_timeout(const std::string& what) {
  PyErr_SetString(PyExc_TimeoutError, what.c_str());
  throw pyb::error_already_set();
}

void raise_for(const conform::Incoming& in, const std::string& what) {
  using Kind = conform::Incoming::Kind;
  switch (in.kind) {
    case Kind::Close:
      raise_connection_closed(in.raw.close_code ? *in.raw.close_code : 1005, in.raw.close_reason);
    case Kind::Eof:
      raise_connection_closed(1006, "connection ended without a close frame" +
                                        (in.raw.data.empty() ? "" : " (" + in.raw.data + ")"));
    case Kind::Timeout:
      raise_timeout(what);
    case Kind::Error:
    case Kind::Undecodable:
      raise_protocol_error(in.describe());
    case Kind::Value:
      break;
  }
  raise_protocol_error("unexpected message: " + in.describe());
}

std::chrono::milliseconds to_ms(const pyb::object& seconds, std::chrono::milliseconds fallback) {
  if (seconds.is_none()) return fallback;
  const double s = seconds.cast<double>();
  if (!(s >= 0) || !std::isfinite(s))
    throw pyb::value_error("timeout must be a finite number >= 0");
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::milliseconds(static_cast<long long>(std::ceil(s * 1000.0))));
}

}  // namespace flake::py
