// JSON-RPC 2.0 envelopes: validating Request objects and building Response objects
// (docs/protocol.md §3).
#pragma once

#include <string_view>
#include <variant>

#include "json.hpp"
#include "rpc_error.hpp"

namespace flake {

struct Request {
  std::string_view method;
  const cJSON* params = nullptr;  // object, array, or null when absent
  const cJSON* id = nullptr;      // null pointer when absent (a notification)
  bool is_notification() const { return id == nullptr; }
};

struct InvalidRequest {
  RpcError error;
  const cJSON* id =
      nullptr;  // echoed when present and of a valid type, else the response carries null
};

// `check_version` false skips the "jsonrpc":"2.0" check (only the defect any-jsonrpc-version does).
std::variant<Request, InvalidRequest> validate_request(const cJSON* item,
                                                       bool check_version = true);

// {"jsonrpc":"2.0","result":...,"id":...}; a null `id` pointer gives "id":null.
JsonPtr make_result(const cJSON* id, JsonPtr result);
// {"jsonrpc":"2.0","error":{"code","message","data"?},"id":...}
JsonPtr make_error(const cJSON* id, RpcError error);
// The "error" member alone, as REST bodies and batch.execute results use it.
JsonPtr error_object(RpcError error);

}  // namespace flake
