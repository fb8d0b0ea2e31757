// Request handling of the scripted sidecar. Runs on the connection's own thread, so the order of
// answers, notifications and faults on one connection is exactly the order of this code.
#include "conformance/peer/dispatch.hpp"

#include "conformance/peer/connection.hpp"
#include "conformance/peer/large_export.hpp"

#include <algorithm>
#include <chrono>

namespace flake::conform::peer {
namespace {

struct Handled {
  Answer answer;
  std::optional<LargeExport> large;  // chunks to send after the answer
  std::int64_t replay_from = 0;      // session.resume: notifications replay_from..replay_to
  std::int64_t replay_to = 0;
};

bool is_service_method(const PeerScript& script, const std::string& method,
                       std::string_view suffix) {
  for (const auto& s : script.services) {
    if (method == s + "." + std::string(suffix)) return true;
  }
  return false;
}

json auth_result(const std::string& session) {
  return {{"sessionId", session},
          {"server", {{"name", "flake-conform-peer"}, {"version", "1"}, {"protocol", "flake.v1"}}},
          {"capabilities",
           {{"msgpack", true},
            {"batch", true},
            {"maxBatch", 100},
            {"maxMessageBytes", 16777216},
            {"compression", {"permessage-deflate"}},
            {"resumeGraceMs", 30000},
            {"rateLimit", {{"rate", 100}, {"burst", 200}}}}}};
}

json result(json value) {
  return {{"result", std::move(value)}};
}

Handled reply(json body) {
  Handled h;
  h.answer.body = std::move(body);
  return h;
}

Handled default_answer(Connection& conn, PeerState& state, const Request& req) {
  const PeerScript& script = state.script();
  const json& p = req.params;
  if (req.method == "system.ping") return reply(result({{"now", epoch_ms()}}));
  if (req.method == "auth.authenticate") {
    if (!p.is_object() || !p.contains("token") || !p["token"].is_string()) {
      return reply(error_body(-32602, "Invalid params", {{"field", "token"}}));
    }
    if (p["token"].get<std::string>() != script.token) {
      return reply(error_body(-32001, "Unauthenticated"));
    }
    if (conn.session.empty()) conn.session = state.new_session();
    return reply(result(auth_result(conn.session)));
  }
  if (conn.session.empty()) return reply(error_body(-32001, "Unauthenticated"));
  if (req.method == "logs.subscribe" || req.method == "metrics.subscribe" ||
      req.method == "deployments.subscribe") {
    std::string id;
    state.with_session(conn.session, [&](Session& s) {
      id = "sub-" + std::to_string(s.next_subscription++);
      s.subscriptions[req.method] = Subscription{id, req.method, p, req.binary};
    });
    return reply(result({{"subscription", id}}));
  }
  if (req.method.ends_with(".unsubscribe")) return reply(result({{"ok", true}}));
  if (is_service_method(script, req.method, "getDashboard")) {
    const std::string service = req.method.substr(0, req.method.find('.'));
    return reply(result({{"service", service}, {"status", "healthy"}, {"deployments", 3}}));
  }
  if (req.method == "logs.getLarge") {
    const std::string format = p.is_object() ? p.value("format", "json") : "json";
    const bool compress = p.is_object() && p.value("compress", false);
    if (format != "json" && format != "msgpack") {
      return reply(error_body(-32602, "Invalid params", {{"field", "format"}}));
    }
    LargeExport e = make_export(state.next_stream_id(), format, compress);
    Handled h = reply(result(e.metadata));
    h.large = std::move(e);
    return h;
  }
  if (req.method == "session.resume") {
    if (!p.is_object() || !p.contains("sessionId") || !p["sessionId"].is_string()) {
      return reply(error_body(-32602, "Invalid params", {{"field", "sessionId"}}));
    }
    const std::string old = p["sessionId"];
    if (old == conn.session) {
      return reply(error_body(-32602, "Invalid params", {{"field", "sessionId"}}));
    }
    if (!p.contains("lastSeq") || !p["lastSeq"].is_number_integer() ||
        p["lastSeq"].get<std::int64_t>() < 0) {
      return reply(error_body(-32602, "Invalid params", {{"field", "lastSeq"}}));
    }
    std::int64_t last = -1;
    state.with_session(old, [&](Session& session) { last = session.last_seq; });
    if (last < 0) return reply(error_body(-32007, "Session expired"));
    const std::int64_t from = p["lastSeq"].get<std::int64_t>();
    if (from > last) return reply(error_body(-32602, "Invalid params", {{"field", "lastSeq"}}));
    conn.session = old;
    // §7.3: everything after lastSeq again, with its original seq (the peer's ring never forgets).
    std::int64_t lost = 0;
    for (const std::int64_t seq : script.replay_lost) lost += seq > from && seq <= last ? 1 : 0;
    Handled h = reply(result({{"resumed", true}, {"replayed", last - from - lost}}));
    h.replay_from = from + 1;
    h.replay_to = last;
    return h;
  }
  return reply(error_body(-32601, "Method not found", {{"method", req.method}}));
}

Handled handle(Connection& conn, PeerState& state, const Request& req) {
  if (state.script().answer) {
    if (auto a = state.script().answer(req)) {
      Handled h;
      h.answer = std::move(*a);
      return h;
    }
  }
  return default_answer(conn, state, req);
}

json response(const Request& req, const Answer& a) {
  json out = {{"jsonrpc", "2.0"}, {"id", req.id}};
  for (const auto& [k, v] : a.body.items()) out[k] = v;
  return out;
}

std::optional<Request> as_request(Connection& conn, PeerState& state, const json& m, bool binary,
                                  bool in_batch) {
  if (!m.is_object() || !m.contains("method") || !m["method"].is_string() || !m.contains("id")) {
    return std::nullopt;
  }
  Request r;
  r.conn = conn.index();
  r.id = m["id"];
  r.method = m["method"];
  r.params = m.value("params", json());
  r.in_batch = in_batch;
  r.binary = binary;
  r.nth = state.count_request(r.method);
  return r;
}

// Sends notification `seq` (odd: logs.update, even: metrics.update) for the connection's
// session; false when a scripted fault ended the connection.
bool send_notification(Connection& conn, PeerState& state, std::int64_t seq) {
  Subscription sub;
  std::string service = state.script().services.at(0);
  const std::string method = seq % 2 != 0 ? "logs.subscribe" : "metrics.subscribe";
  bool found = false;
  state.with_session(conn.session, [&](Session& s) {
    const auto it = s.subscriptions.find(method);
    if (it == s.subscriptions.end()) return;
    sub = it->second;
    found = true;
  });
  if (!found) return conn.is_open();
  if (sub.params.is_object() && sub.params.contains("service") &&
      sub.params["service"].is_string()) {
    service = sub.params["service"];
  }
  json params = {{"subscription", sub.id}, {"service", service}, {"seq", seq}};
  if (seq % 2 != 0) {
    params["entries"] = log_entries(static_cast<int>(seq), 1);
  } else {
    params["metrics"] = {{"cpu", 0.25 + 0.01 * static_cast<double>(seq)}, {"requestsPerMin", 1180}};
  }
  const std::string name = seq % 2 != 0 ? "logs.update" : "metrics.update";
  // A notification the connection can no longer carry (closing after a fault) is not generated;
  // one that is counts before it is sent, so a client that has seen it can resume right after it.
  if (!conn.can_send()) return false;
  state.with_session(conn.session, [&](Session& s) { s.last_seq = std::max(s.last_seq, seq); });
  conn.send_message({{"jsonrpc", "2.0"}, {"method", name}, {"params", std::move(params)}},
                    sub.binary, nullptr);
  if (state.script().after_notification)
    conn.apply(state.script().after_notification(conn.index(), seq));
  return conn.is_open();
}

// Once the session holds both subscriptions of step 3: the script's initial notifications.
void after_subscribe(Connection& conn, PeerState& state) {
  bool due = false;
  state.with_session(conn.session, [&](Session& s) {
    due = !s.initial_sent && s.subscriptions.contains("logs.subscribe") &&
          s.subscriptions.contains("metrics.subscribe");
    if (due) s.initial_sent = true;
  });
  if (!due) return;
  for (const std::int64_t seq : state.script().initial_seqs) {
    if (!send_notification(conn, state, seq)) return;
  }
}

void after_loop_call(Connection& conn, PeerState& state) {
  if (!state.take_loop_notification()) return;
  std::int64_t next = 0;
  state.with_session(conn.session, [&](Session& s) { next = s.last_seq + 1; });
  if (next > 0) send_notification(conn, state, next);
}

void follow_up(Connection& conn, PeerState& state, const Request& req, const Handled& h) {
  const bool ok = h.answer.body.contains("result");
  if (h.large && ok) {
    for (std::size_t i = 0; i < h.large->payloads.size() && conn.is_open(); ++i) {
      conn.send_message(chunk_notification(*h.large, i), h.large->binary, nullptr);
    }
  }
  const auto& lost = state.script().replay_lost;
  for (std::int64_t seq = h.replay_from; ok && seq > 0 && seq <= h.replay_to; ++seq) {
    if (std::find(lost.begin(), lost.end(), seq) != lost.end()) continue;
    if (!send_notification(conn, state, seq)) return;
  }
  if (ok && req.method.ends_with(".subscribe")) after_subscribe(conn, state);
  if (!req.in_batch && req.method.ends_with(".getDashboard")) after_loop_call(conn, state);
}

}  // namespace

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json error_body(int code, const std::string& message, json data) {
  json e = {{"code", code}, {"message", message}};
  if (!data.is_null()) e["data"] = std::move(data);
  return {{"error", std::move(e)}};
}

void dispatch(Connection& conn, PeerState& state, const json& message, bool binary) {
  const PeerScript& script = state.script();
  if (message.is_array()) {
    if (message.empty()) {
      conn.send_message({{"jsonrpc", "2.0"},
                         {"id", nullptr},
                         {"error", error_body(-32600, "Invalid Request")["error"]}},
                        binary, nullptr);
      return;
    }
    std::vector<std::pair<Request, Handled>> answered;
    json out = json::array();
    for (const json& member : message) {
      auto req = as_request(conn, state, member, binary, true);
      if (!req) continue;
      Handled h = handle(conn, state, *req);
      if (!h.answer.silent) out.push_back(response(*req, h.answer));
      answered.emplace_back(std::move(*req), std::move(h));
    }
    if (script.reverse_batch) std::reverse(out.begin(), out.end());
    if (!out.empty()) conn.send_message(std::move(out), binary, nullptr);
    for (const auto& [req, h] : answered) {
      follow_up(conn, state, req, h);
      if (script.after_answer && conn.is_open()) conn.apply(script.after_answer(req));
    }
    return;
  }
  auto req = as_request(conn, state, message, binary, false);
  if (!req) return;  // a client notification or a stray response: nothing to answer
  const Handled h = handle(conn, state, *req);
  const bool binary_answer = binary || (req->method == "logs.getLarge" && h.large &&
                                        h.large->binary && h.answer.body.contains("result"));
  if (!h.answer.silent) conn.send_message(response(*req, h.answer), binary_answer, &*req);
  follow_up(conn, state, *req, h);
  if (script.after_answer && conn.is_open()) conn.apply(script.after_answer(*req));
}

}  // namespace flake::conform::peer
