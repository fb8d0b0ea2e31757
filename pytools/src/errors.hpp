// The module's exception classes (RpcError, ConnectionClosed, HandshakeError, ProtocolError) and
// helpers that raise them from C++ with their attributes set. Call with the GIL held.
#pragma once

#include "json_py.hpp"

#include <chrono>
#include <string>

namespace flake::conform {
struct Incoming;
}

namespace flake::py {

// Creates the classes in `m`; once, at import.
void define_errors(pyb::module_& m);

[[noreturn]] void raise_rpc_error(const json& error_object);
[[noreturn]] void raise_connection_closed(int code, const std::string& reason);
[[noreturn]] void raise_handshake_error(int status, const std::string& error,
                                        const std::string& body);
[[noreturn]] void raise_protocol_error(const std::string& what);
[[noreturn]] void raise_timeout(const std::string& what);

// Raises the matching exception for anything but a decoded value (close, EOF, timeout, ...).
// `what` names the operation for the timeout message.
[[noreturn]] void raise_for(const conform::Incoming& in, const std::string& what);

// Seconds from Python (None = fallback) to milliseconds, at least 1 ms; ValueError when negative.
std::chrono::milliseconds to_ms(const pyb::object& seconds, std::chrono::milliseconds fallback);

}  // namespace flake::py
