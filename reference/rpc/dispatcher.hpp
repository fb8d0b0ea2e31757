// The JSON-RPC dispatcher shared by every transport: validates envelopes, enforces auth and rate
// limits, runs batches, and routes each request through the method table (docs/protocol.md §3, §5).
#pragma once

#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "reference/codec/json.hpp"
#include "reference/rpc/jsonrpc.hpp"
#include "reference/state/server_state.hpp"
#include "reference/ws/connection.hpp"

namespace flake {

using Outcome = std::variant<JsonPtr, RpcError>;

// What a call may touch. `connection` is null for transports without a socket (HTTP).
struct CallContext {
  CallContext(ServerState& s, Connection* c, bool authenticated_already)
      : server(s),
        connection(c),
        bucket(c != nullptr ? &c->bucket : nullptr),
        authenticated(authenticated_already) {}

  ServerState& server;
  Connection* connection = nullptr;
  // The token bucket each valid request is charged to (§8.1-§8.3): the socket's, or the HTTP
  // connection's for POST /api/v1/rpc; null: nothing is charged (REST dashboards and actions are
  // charged at admission).
  TokenBucket* bucket = nullptr;
  bool authenticated = false;       // HTTP requests are authenticated before dispatch
  bool in_batch_execute = false;    // batch.execute operations: socket-only methods refused (§5.3)
  bool binary_request = false;      // the message came as MessagePack
  bool binary_response = false;     // answer in MessagePack whatever the request was (§2.4)
  bool notification = false;        // the request being run is a client notification (§3.5)
  bool batch_member = false;        // the request being run is a member of a batch (§3.4)
  std::vector<OutFrame> follow_up;  // frames sent right after the response (resume replay)
  std::vector<EmitJob> jobs;        // deferred work the response must wait for
  int close_after_code = 0;         // close the socket once the response is sent (e.g. 4401)
  std::string close_after_reason;
};

using Handler = Outcome (*)(CallContext&, std::string_view method, const cJSON* params);

struct MethodSpec {
  std::string_view name;
  Handler handler;
  bool requires_auth;
  bool socket_only;       // -32601 over HTTP
  bool conformance_only;  // -32601 unless --conformance
  std::string_view summary;
  std::string_view params;  // informal schema ("none": the method defines no parameters)
  std::string_view result;
  // rpc.discover's content descriptors (§5.5d): "name[!]:type ..." (! = required), one word per
  // parameter, type a JSON Schema type; empty for a method without parameters.
  std::string_view descriptors = {};
};

std::span<const MethodSpec> method_table();
const MethodSpec* find_method(std::string_view name);

// Dispatches one parsed message (a request object or a batch array). Returns the response to send,
// or null when nothing is owed (notifications, all-notification batches).
JsonPtr dispatch_message(CallContext& ctx, const cJSON* message);

// Runs one validated request: rate limit, auth gate, method lookup, handler. batch.execute calls it
// per operation, so operations obey exactly the rules of ordinary requests.
Outcome execute_request(CallContext& ctx, const Request& request);
// Charges one request to ctx's token bucket (§8.1-§8.3); true when the bucket refuses it, with
// the wait before a retry.
bool over_rate_limit(CallContext& ctx, long long& retry_after_ms);

// The -32700 response for bytes that did not parse.
JsonPtr parse_error_response(const ServerState& server, std::string reason);

}  // namespace flake
