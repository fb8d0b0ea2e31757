// JSON-RPC 2.0 on top of WsClient with nlohmann::json: calls matched by id, notifications
// queued, batches, authentication, and MessagePack (binary frame) variants.
#pragma once

#include "conformance/client/ws_client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

using json = nlohmann::json;

enum class Encoding { Json, MsgPack };

// One thing that arrived: a decoded JSON-RPC value, or the end of the conversation.
struct Incoming {
  enum class Kind { Value, Close, Eof, Timeout, Error, Undecodable };
  Kind kind = Kind::Timeout;
  json value;  // Value
  Encoding encoding = Encoding::Json;
  Message raw;         // the WebSocket-level message (close code, error text, bytes)
  std::string method;  // wait_for_id()/call(): the method of the request this answers

  bool is_value() const { return kind == Kind::Value; }
  std::string describe() const;  // for failure reports
};

// A notification is a server message with "method" and no "id".
bool is_notification(const json& value);
bool is_response(const json& value);

struct CallOptions {
  std::chrono::milliseconds timeout{5000};
  Encoding encoding = Encoding::Json;
};

class RpcClient {
 public:
  explicit RpcClient(WireLog* log = nullptr, int conn_no = 0) : ws_(log, conn_no) {}

  ConnectResult connect(const Url& url, const ConnectOptions& options) {
    return ws_.connect(url, options);
  }
  WsClient& ws() { return ws_; }

  std::int64_t next_id() { return next_id_++; }

  bool send(const json& message, Encoding encoding = Encoding::Json);

  // Next decoded message straight from the wire (queues are not consulted).
  Incoming receive(Deadline deadline);

  // The response whose id equals `id`; notifications and other responses met on the way are
  // queued. A non-Value result means the connection ended or the deadline passed first.
  Incoming wait_for_id(const json& id, Deadline deadline);
  // The next response or batch answer (anything that is not a notification).
  Incoming wait_for_response(Deadline deadline);
  // First queued or arriving message satisfying `match`.
  Incoming wait_for(const std::function<bool(const json&)>& match, Deadline deadline);

  Incoming call(std::string_view method, const json& params, CallOptions options = {});
  Incoming call(std::string_view method, const json& params, std::chrono::milliseconds timeout) {
    return call(method, params, CallOptions{timeout, Encoding::Json});
  }
  bool notify(std::string_view method, const json& params, Encoding encoding = Encoding::Json);
  // Sends an array of members (requests and/or notifications) and waits for the batch answer.
  Incoming batch(const std::vector<json>& members, std::chrono::milliseconds timeout,
                 Encoding encoding = Encoding::Json);
  Incoming authenticate(std::string_view token, const json& client_info,
                        std::chrono::milliseconds timeout);

  std::optional<json> next_notification(Deadline deadline);
  std::deque<json>& notifications() { return notifications_; }
  std::deque<json>& stray_responses() { return stray_; }

 private:
  WsClient ws_;
  std::int64_t next_id_ = 1;
  std::deque<json> notifications_;
  std::deque<json> stray_;
  // The last request sent (id and method), so that wait_for_id() can say what its answer answers.
  json last_request_id_;
  std::string last_request_method_;
};

// Builds {"jsonrpc":"2.0","method":...,"params":...,"id":...}; params omitted when null.
json make_request(std::string_view method, const json& params, const json& id);
json make_notification(std::string_view method, const json& params);

json client_info();  // {"version":..., "platform":...} identifying the harness

}  // namespace flake::conform
