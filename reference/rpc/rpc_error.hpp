// JSON-RPC error codes of flake.v1 (docs/protocol.md §3) and the error value every handler returns.
#pragma once

#include <string>

#include "reference/codec/json.hpp"

namespace flake {

enum RpcCode : int {
  kParseError = -32700,       // invalid JSON / MessagePack, too deep; id null
  kInvalidRequest = -32600,   // not a valid Request object, empty or oversized batch
  kMethodNotFound = -32601,   // unknown method, test.* without --conformance, socket-only over HTTP
  kInvalidParams = -32602,    // data {"field"} names the offending parameter where there is one
  kInternalError = -32603,    // a bug or resource failure inside the sidecar
  kUnauthenticated = -32001,  // no successful auth.authenticate yet, or a wrong token
  kRateLimited = -32002,      // data {"retryAfterMs"}
  kServiceUnavailable = -32003,  // data {"service","retryAfterMs"}
  kNotFound = -32004,            // data {"resource"}
  kPayloadTooLarge = -32005,     // data {"maxBytes"}
  kTimeout = -32006,             // data {"timeoutMs"}
  kSessionExpired = -32007,      // session.resume cannot replay the gap
  kForbidden = -32008,           // Origin or Host refused (HTTP bodies)
};

struct RpcError {
  int code = kInternalError;
  std::string message;
  JsonPtr data;  // may be null
};

RpcError rpc_error(int code, std::string message);
RpcError invalid_params(const char* field, std::string message);
RpcError not_found(const std::string& resource);
RpcError rate_limited(long long retry_after_ms);

}  // namespace flake
