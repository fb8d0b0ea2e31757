// JSON-RPC 2.0 envelopes: validating Request objects and building Response objects
// (docs/protocol.md §3).
#pragma once

#include <string_view>
#include <variant>

#include "reference/codec/json.hpp"
#include "reference/rpc/rpc_error.hpp"

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

// Deliberate breaches of §3.1 and §3.2 for the reference's defect switches (defects/defects.hpp);
// all off in a conforming run.
struct RequestLeniency {
  bool case_insensitive = false;        // member names matched ignoring case
  bool any_params = false;              // params of any type accepted
  bool any_id = false;                  // ids of any type accepted (and echoed)
  bool refuse_unknown_members = false;  // members other than jsonrpc/method/params/id refused
  bool any_number_id = false;  // numeric ids beyond a double's range taken (echoed as null)
};

// `check_version` false skips the "jsonrpc":"2.0" check (only the defect any-jsonrpc-version does).
std::variant<Request, InvalidRequest> validate_request(const cJSON* item, bool check_version = true,
                                                       const RequestLeniency& leniency = {});

// {"jsonrpc":"2.0","result":...,"id":...}; a null `id` pointer gives "id":null.
JsonPtr make_result(const cJSON* id, JsonPtr result);
// {"jsonrpc":"2.0","error":{"code","message","data"?},"id":...}
JsonPtr make_error(const cJSON* id, RpcError error);
// The "error" member alone, as REST bodies and batch.execute results use it.
JsonPtr error_object(RpcError error);

}  // namespace flake
