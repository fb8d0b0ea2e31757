// Client and Subscription: a flake.v1 WebSocket client for scripts. Every blocking wait releases
// the GIL and holds the client's own lock instead, so one client may be shared between threads.
#pragma once

#include "errors.hpp"

#include "conformance/client/rpc_client.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace flake::py {

// The harness names this module uses (internal header: only the module includes it).
using conform::CallOptions;
using conform::Clock;
using conform::ConnectOptions;
using conform::ConnectResult;
using conform::Deadline;
using conform::deadline_in;
using conform::Encoding;
using conform::Incoming;
using conform::is_notification;
using conform::make_request;
using conform::Message;
using conform::MessageKind;
using conform::RpcClient;
using conform::Url;
using conform::WsClient;
using std::chrono::milliseconds;

struct ClientConfig {
  Url url;
  std::optional<std::string> token;
  ConnectOptions connect;
  json client_info;
  milliseconds timeout{5000};
};

inline std::string message_kind(MessageKind kind) {
  return std::string(to_string(kind));
}

class Client {
 public:
  explicit Client(ClientConfig config) : config_(std::move(config)) {}

  void connect(bool authenticate) {
    ConnectResult result;
    {
      pyb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      rpc_ = std::make_unique<RpcClient>();
      auto options = config_.connect;
      options.timeout = config_.timeout;
      result = rpc_->connect(config_.url, options);
    }
    if (!result.upgraded) {
      raise_handshake_error(result.status, result.error.empty() ? "no upgrade" : result.error,
                            result.body);
    }
    subprotocol_ = result.subprotocol;
    deflate_ = result.deflate;
    if (authenticate && config_.token) this->authenticate(*config_.token, pyb::none(), pyb::none());
  }

  pyb::object authenticate(const std::optional<std::string>& token, const pyb::object& info,
                           const pyb::object& timeout) {
    const std::string presented = token ? *token : config_.token.value_or("");
    if (!token && !config_.token)
      throw pyb::value_error("no token: pass one or give the Client a token");
    const json client_info = info.is_none() ? config_.client_info : from_python(info);
    const json result =
        call_json("auth.authenticate", {{"token", presented}, {"clientInfo", client_info}},
                  to_ms(timeout, config_.timeout), Encoding::Json);
    auth_result_ = result;
    if (result.is_object() && result.contains("sessionId") && result["sessionId"].is_string()) {
      session_id_ = result["sessionId"].get<std::string>();
    }
    return to_python(result);
  }

  pyb::object call(const std::string& method, const pyb::object& params, const pyb::object& timeout,
                   bool msgpack) {
    return to_python(call_json(method, from_python(params), to_ms(timeout, config_.timeout),
                               msgpack ? Encoding::MsgPack : Encoding::Json));
  }

  void notify(const std::string& method, const pyb::object& params, bool msgpack) {
    const json p = from_python(params);
    bool sent = false;
    {
      pyb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      sent = rpc().notify(method, p, msgpack ? Encoding::MsgPack : Encoding::Json);
    }
    if (!sent) raise_connection_closed(1006, "could not send: the connection is closed");
  }

  // Members: (method, params) pairs become requests with fresh ids; dicts go as they are. The
  // answer comes back in member order, whatever order the server chose (§3.4).
  pyb::list batch(const pyb::sequence& members, const pyb::object& timeout, bool msgpack) {
    std::vector<json> wire;
    std::vector<json> ids;
    for (const auto& member : members) {
      if (pyb::isinstance<pyb::dict>(member)) {
        json m = from_python(member);
        if (m.contains("id")) ids.push_back(m["id"]);
        wire.push_back(std::move(m));
        continue;
      }
      const auto pair = member.cast<pyb::sequence>();
      if (pair.size() < 1 || pair.size() > 2) {
        throw pyb::value_error("a batch member is a dict or a (method, params) pair");
      }
      const std::string method = pair[0].cast<std::string>();
      const json params = pair.size() == 2 ? from_python(pair[1]) : json();
      json id;
      {
        std::lock_guard lock(mutex_);
        id = rpc().next_id();
      }
      ids.push_back(id);
      wire.push_back(make_request(method, params, id));
    }
    Incoming in;
    const milliseconds wait = to_ms(timeout, config_.timeout);
    {
      pyb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      in = rpc().batch(wire, wait, msgpack ? Encoding::MsgPack : Encoding::Json);
    }
    if (!in.is_value())
      raise_for(in, "no batch answer within " + std::to_string(wait.count()) + " ms");
    last_binary_ = in.encoding == Encoding::MsgPack;
    if (!in.value.is_array()) {
      if (in.value.is_object() && in.value.contains("error")) raise_rpc_error(in.value["error"]);
      raise_protocol_error("batch answer is neither an array nor an error: " + in.describe());
    }
    std::vector<json> answers(in.value.begin(), in.value.end());
    pyb::list out;
    for (const json& id : ids) {
      for (auto it = answers.begin(); it != answers.end(); ++it) {
        if (it->is_object() && it->contains("id") && (*it)["id"] == id) {
          out.append(to_python(*it));
          answers.erase(it);
          break;
        }
      }
    }
    for (const json& rest : answers) out.append(to_python(rest));
    return out;
  }

  // The next notification (optionally of one method) from the queue or the wire.
  pyb::object next_notification(const pyb::object& timeout,
                                const std::optional<std::string>& method) {
    const milliseconds wait = to_ms(timeout, config_.timeout);
    Incoming in = wait_matching(
        [&method](const json& v) {
          return is_notification(v) && (!method || v["method"] == *method);
        },
        wait);
    if (!in.is_value()) {
      raise_for(in, "no " + (method ? *method + " " : std::string()) + "notification within " +
                        std::to_string(wait.count()) + " ms");
    }
    return to_python(in.value);
  }

  // The next params of a notification of `subscription` (a subscribe call's id).
  json next_for_subscription(const std::string& subscription, milliseconds wait) {
    Incoming in = wait_matching(
        [&subscription](const json& v) {
          return is_notification(v) && v.contains("params") && v["params"].is_object() &&
                 v["params"].value("subscription", json()) == subscription;
        },
        wait);
    if (!in.is_value()) {
      raise_for(in, "no notification for subscription " + subscription + " within " +
                        std::to_string(wait.count()) + " ms");
    }
    return in.value["params"];
  }

  pyb::object resume(const std::string& session_id, std::int64_t last_seq,
                     const pyb::object& timeout) {
    const json result =
        call_json("session.resume", {{"sessionId", session_id}, {"lastSeq", last_seq}},
                  to_ms(timeout, config_.timeout), Encoding::Json);
    session_id_ = session_id;
    return to_python(result);
  }

  // Any JSON value on the wire as is; a request's answer is then read with receive().
  void send(const pyb::object& message, bool msgpack) {
    const json m = from_python(message);
    bool sent = false;
    {
      pyb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      sent = rpc().send(m, msgpack ? Encoding::MsgPack : Encoding::Json);
    }
    if (!sent) raise_connection_closed(1006, "could not send: the connection is closed");
  }

  // The next decoded message of any kind: queued ones first, then the wire.
  pyb::object receive(const pyb::object& timeout) {
    const milliseconds wait = to_ms(timeout, config_.timeout);
    Incoming in = wait_matching([](const json&) { return true; }, wait);
    if (!in.is_value()) raise_for(in, "no message within " + std::to_string(wait.count()) + " ms");
    return to_python(in.value);
  }

  template <typename Send>
  void raw(Send send) {
    bool sent = false;
    {
      pyb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      sent = send(rpc().ws());
    }
    if (!sent) raise_connection_closed(1006, "could not send: the connection is closed");
  }

  // The next WebSocket-level message, undecoded; never raises for closes or timeouts.
  pyb::dict receive_raw(const pyb::object& timeout) {
    const milliseconds wait = to_ms(timeout, config_.timeout);
    Message message;
    {
      pyb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      message = rpc().ws().next_message(deadline_in(wait));
    }
    pyb::dict out;
    out["kind"] = message_kind(message.kind);
    out["data"] = pyb::bytes(message.data);
    out["close_code"] =
        message.close_code ? pyb::object(pyb::int_(*message.close_code)) : pyb::none();
    out["close_reason"] = message.close_reason;
    return out;
  }

  void close(int code, const pyb::object& timeout) {
    const milliseconds wait = to_ms(timeout, milliseconds(1000));
    pyb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    if (rpc_ && rpc_->ws().open())
      rpc_->ws().close(static_cast<std::uint16_t>(code), deadline_in(wait));
  }

  void abort() {
    pyb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    if (rpc_) rpc_->ws().abort();
  }

  bool connected() {
    std::lock_guard lock(mutex_);
    return rpc_ && rpc_->ws().open();
  }
  std::size_t pending() {
    std::lock_guard lock(mutex_);
    return rpc_ ? rpc_->notifications().size() : 0;
  }

  const ClientConfig& config() const { return config_; }
  const json& auth_result() const { return auth_result_; }
  const std::string& session_id() const { return session_id_; }
  const std::string& subprotocol() const { return subprotocol_; }
  bool deflate() const { return deflate_; }
  bool last_binary() const { return last_binary_; }

 private:
  RpcClient& rpc() {
    if (!rpc_) rpc_ = std::make_unique<RpcClient>();  // unconnected: sends fail cleanly
    return *rpc_;
  }

  Incoming wait_matching(const std::function<bool(const json&)>& match, milliseconds wait) {
    pyb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    return rpc().wait_for(match, deadline_in(wait));
  }

  json call_json(const std::string& method, const json& params, milliseconds wait,
                 Encoding encoding) {
    Incoming in;
    {
      pyb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      in = rpc().call(method, params, CallOptions{wait, encoding});
    }
    if (!in.is_value()) {
      raise_for(in, "no answer to " + method + " within " + std::to_string(wait.count()) + " ms");
    }
    last_binary_ = in.encoding == Encoding::MsgPack;
    if (!in.value.is_object()) raise_protocol_error("answer is not an object: " + in.describe());
    if (in.value.contains("error")) raise_rpc_error(in.value["error"]);
    if (!in.value.contains("result"))
      raise_protocol_error("answer without result: " + in.describe());
    return in.value["result"];
  }

  ClientConfig config_;
  std::mutex mutex_;
  std::unique_ptr<RpcClient> rpc_;
  json auth_result_;
  std::string session_id_;
  std::string subprotocol_;
  bool deflate_ = false;
  bool last_binary_ = false;
};

// The notifications of one subscription: iterate, take(n) or drain(). Holds its client alive.
class Subscription {
 public:
  Subscription(std::shared_ptr<Client> client, std::string id, std::string family, json result)
      : client_(std::move(client)),
        id_(std::move(id)),
        family_(std::move(family)),
        result_(std::move(result)) {}

  pyb::object next(const pyb::object& timeout) {
    return to_python(
        client_->next_for_subscription(id_, to_ms(timeout, client_->config().timeout)));
  }

  // n notifications within `timeout` seconds in total; TimeoutError when fewer came.
  pyb::list take(std::size_t n, const pyb::object& timeout) {
    const milliseconds total = to_ms(timeout, client_->config().timeout);
    const Deadline end = deadline_in(total);
    pyb::list out;
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
      if (left.count() <= 0) {
        raise_timeout("only " + std::to_string(out.size()) + " of " + std::to_string(n) +
                      " notifications for subscription " + id_ + " within " +
                      std::to_string(total.count()) + " ms");
      }
      out.append(to_python(client_->next_for_subscription(id_, left)));
    }
    return out;
  }

  // Everything that arrives until nothing has come for `quiet` seconds (at most `limit` items).
  pyb::list drain(const pyb::object& quiet, std::size_t limit) {
    const milliseconds gap = to_ms(quiet, milliseconds(200));
    pyb::list out;
    while (out.size() < limit) {
      try {
        out.append(to_python(client_->next_for_subscription(id_, gap)));
      } catch (pyb::error_already_set& e) {
        if (e.matches(PyExc_TimeoutError)) break;
        throw;
      }
    }
    return out;
  }

  pyb::object unsubscribe(const pyb::object& timeout) {
    return client_->call(family_ + ".unsubscribe", pyb::dict(pyb::arg("subscription") = id_),
                         timeout, false);
  }

  const std::string& id() const { return id_; }
  const std::string& family() const { return family_; }
  pyb::object result() const { return to_python(result_); }

 private:
  std::shared_ptr<Client> client_;
  std::string id_;
  std::string family_;
  json result_;
};

}  // namespace flake::py
