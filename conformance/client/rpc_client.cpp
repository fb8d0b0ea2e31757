// RpcClient: encoding, decoding and id matching; everything waits on an absolute deadline.
#include "conformance/client/rpc_client.hpp"

#include "conformance/client/msgpack_depth.hpp"

namespace flake::conform {
namespace {

// Far deeper than any flake.v1 message; shallow enough for the decoder's recursion.
constexpr int kMaxIncomingDepth = 512;

// JSON text nested at most `max` levels ([ and { outside strings). Parsing is iterative, but
// printing a value for a report (dump) recurses per level.
bool json_nesting_within(std::string_view text, int max) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::string Incoming::describe() const {
  switch (kind) {
    case Kind::Value:
      return (encoding == Encoding::MsgPack ? "msgpack " : "") +
             WireLog::summarize_text(value.dump(-1, ' ', false, json::error_handler_t::replace),
                                     300);
    case Kind::Close:
      return "close frame " +
             (raw.close_code ? std::to_string(*raw.close_code) : std::string("without code")) +
             (raw.close_reason.empty() ? std::string() : " '" + raw.close_reason + "'");
    case Kind::Eof:
      return "connection ended without close frame (" + raw.data + ")";
    case Kind::Timeout:
      return "nothing before the deadline";
    case Kind::Error:
      return "WebSocket protocol error by the server: " + raw.data;
    case Kind::Undecodable:
      return std::string(raw.kind == MessageKind::Text ? "text" : "binary") +
             " message that does not decode: " +
             (raw.kind == MessageKind::Text ? WireLog::summarize_text(raw.data, 200)
                                            : WireLog::hex_prefix(raw.data));
  }
  return "?";
}

bool is_notification(const json& value) {
  return value.is_object() && value.contains("method") && !value.contains("id");
}

bool is_response(const json& value) {
  return !is_notification(value);
}

json make_request(std::string_view method, const json& params, const json& id) {
  json request = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  request["id"] = id;
  return request;
}

json make_notification(std::string_view method, const json& params) {
  json request = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  return request;
}

json client_info() {
  return {{"version", "flake-conform 0.1"}, {"platform", "conformance"}};
}

bool RpcClient::send(const json& message, Encoding encoding) {
  if (message.is_object() && message.contains("id") && message.contains("method") &&
      message["method"].is_string()) {
    last_request_id_ = message["id"];
    last_request_method_ = message["method"].get<std::string>();
  }
  if (encoding == Encoding::MsgPack) {
    const std::vector<std::uint8_t> bytes = json::to_msgpack(message);
    return ws_.send_binary(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  return ws_.send_text(message.dump());
}

Incoming RpcClient::receive(Deadline deadline) {
  Incoming in;
  in.raw = ws_.next_message(deadline);
  switch (in.raw.kind) {
    case MessageKind::Text:
      in.value = json_nesting_within(in.raw.data, kMaxIncomingDepth)
                     ? json::parse(in.raw.data, nullptr, false)
                     : json(json::value_t::discarded);
      in.encoding = Encoding::Json;
      break;
    case MessageKind::Binary:
      // from_msgpack recurses per nesting level: deep input from a sidecar would blow the stack.
      in.value = msgpack_nesting_within(in.raw.data, kMaxIncomingDepth)
                     ? json::from_msgpack(in.raw.data.begin(), in.raw.data.end(), true, false)
                     : json(json::value_t::discarded);
      in.encoding = Encoding::MsgPack;
      break;
    case MessageKind::Close:
      in.kind = Incoming::Kind::Close;
      return in;
    case MessageKind::Eof:
      in.kind = Incoming::Kind::Eof;
      return in;
    case MessageKind::Timeout:
      in.kind = Incoming::Kind::Timeout;
      return in;
    case MessageKind::Error:
      in.kind = Incoming::Kind::Error;
      return in;
  }
  in.kind = in.value.is_discarded() ? Incoming::Kind::Undecodable : Incoming::Kind::Value;
  return in;
}

Incoming RpcClient::wait_for(const std::function<bool(const json&)>& match, Deadline deadline) {
  for (auto* queue : {&stray_, &notifications_}) {
    for (auto it = queue->begin(); it != queue->end(); ++it) {
      if (match(*it)) {
        Incoming in;
        in.kind = Incoming::Kind::Value;
        in.value = std::move(*it);
        queue->erase(it);
        return in;
      }
    }
  }
  for (;;) {
    Incoming in = receive(deadline);
    if (!in.is_value()) return in;
    if (match(in.value)) return in;
    (is_notification(in.value) ? notifications_ : stray_).push_back(std::move(in.value));
  }
}

Incoming RpcClient::wait_for_id(const json& id, Deadline deadline) {
  Incoming in =
      wait_for([&id](const json& v) { return v.is_object() && v.contains("id") && v["id"] == id; },
               deadline);
  if (!id.is_null() && id == last_request_id_) in.method = last_request_method_;
  return in;
}

Incoming RpcClient::wait_for_response(Deadline deadline) {
  return wait_for([](const json& v) { return is_response(v); }, deadline);
}

Incoming RpcClient::call(std::string_view method, const json& params, CallOptions options) {
  const json id = next_id();
  if (!send(make_request(method, params, id), options.encoding)) {
    Incoming in;
    in.kind = Incoming::Kind::Eof;
    in.raw.data = "could not send the request";
    return in;
  }
  return wait_for_id(id, deadline_in(options.timeout));
}

bool RpcClient::notify(std::string_view method, const json& params, Encoding encoding) {
  return send(make_notification(method, params), encoding);
}

Incoming RpcClient::batch(const std::vector<json>& members, std::chrono::milliseconds timeout,
                          Encoding encoding) {
  json array = json::array();
  for (const auto& m : members) array.push_back(m);
  if (!send(array, encoding)) {
    Incoming in;
    in.kind = Incoming::Kind::Eof;
    in.raw.data = "could not send the batch";
    return in;
  }
  return wait_for([](const json& v) { return v.is_array() || (v.is_object() && v.contains("id")); },
                  deadline_in(timeout));
}

Incoming RpcClient::authenticate(std::string_view token, const json& info,
                                 std::chrono::milliseconds timeout) {
  return call("auth.authenticate", {{"token", token}, {"clientInfo", info}}, timeout);
}

std::optional<json> RpcClient::next_notification(Deadline deadline) {
  if (!notifications_.empty()) {
    json n = std::move(notifications_.front());
    notifications_.pop_front();
    return n;
  }
  Incoming in = wait_for([](const json& v) { return is_notification(v); }, deadline);
  if (!in.is_value()) return std::nullopt;
  return std::move(in.value);
}

}  // namespace flake::conform
