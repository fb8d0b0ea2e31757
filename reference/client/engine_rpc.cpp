// JSON-RPC on the client's connection: requests and batches with ids (§3.3, §3.4), responses
// matched by id, notifications with seq tracking and gap detection (§6.1, §6.2, §6.4), export
// chunks (§6.9), and authentication and session restore (§4.6, §7.3, §7.4).
#include <cmath>

#include "reference/client/base64.hpp"
#include "reference/client/engine.hpp"
#include "reference/client/engine_util.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

namespace flake::client {
namespace {

constexpr int kMaxDepth = 64;

// Defect code-from-message only: the code a standard error message names (§3.10's names).
std::optional<int> code_named(std::string_view message) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"Parse error", -32700},         {"Invalid Request", -32600}, {"Method not found", -32601},
      {"Invalid params", -32602},      {"Internal error", -32603},  {"Unauthenticated", -32001},
      {"Service unavailable", -32003}, {"Not found", -32004},       {"Timeout", -32006}};
  for (const auto& [name, code] : kNames)
    if (name == message) return code;
  return std::nullopt;
}

}  // namespace

// ---- Requests out ----

std::string Engine::send_request(const std::string& method, const cJSON* params, Done done) {
  JsonPtr req(cJSON_CreateObject());
  cJSON_AddStringToObject(req.get(), "jsonrpc", "2.0");
  const int64_t n = next_id_++;
  // §3.3: integers stay exact through any JSON implementation; 1.5-style ids need not.
  cJSON* id = cJSON_CreateNumber(behaviour_.uses_integer_ids() ? double(n) : double(n) + 0.5);
  const std::string key = print_json(id);
  cJSON_AddItemToObject(req.get(), "id", id);
  cJSON_AddStringToObject(req.get(), "method", method.c_str());
  if (params != nullptr) cJSON_AddItemToObject(req.get(), "params", cJSON_Duplicate(params, true));
  pending_[key] = Pending{method, Clock::now() + config_.call_timeout, std::move(done)};
  send_frame(Opcode::kText, print_json(req.get()));
  return key;
}

void Engine::send_batch(std::vector<std::pair<CallRequest, Done>> members) {
  JsonPtr batch(cJSON_CreateArray());
  std::vector<std::string> keys;
  for (auto& [request, done] : members) {
    JsonPtr req(cJSON_CreateObject());
    cJSON_AddStringToObject(req.get(), "jsonrpc", "2.0");
    const int64_t n = next_id_++;
    cJSON* id = cJSON_CreateNumber(behaviour_.uses_integer_ids() ? double(n) : double(n) + 0.5);
    keys.push_back(print_json(id));
    cJSON_AddItemToObject(req.get(), "id", id);
    cJSON_AddStringToObject(req.get(), "method", request.method.c_str());
    if (JsonPtr params = parse_params(request.params_json))
      cJSON_AddItemToObject(req.get(), "params", params.release());
    cJSON_AddItemToArray(batch.get(), req.release());
    pending_[keys.back()] =
        Pending{request.method, Clock::now() + config_.call_timeout, std::move(done)};
  }
  batches_.push_back(std::move(keys));
  send_frame(Opcode::kText, print_json(batch.get()));
}

// ---- Messages in ----

void Engine::handle_message(Incoming::Kind kind, const std::string& payload) {
  JsonPtr msg = kind == Incoming::Kind::kText ? parse_json(payload, kMaxDepth).value
                                              : decode_msgpack(payload, kMaxDepth).value;
  if (!msg) return;  // not JSON-RPC we can read; nothing to answer (servers get no responses)
  if (cJSON_IsArray(msg.get())) {
    if (behaviour_.matches_batch_by_id() || batches_.empty()) {
      for (const cJSON* r = msg->child; r != nullptr; r = r->next)
        if (const cJSON* id = member(r, "id")) handle_response(r, print_json(id));
      if (!batches_.empty()) batches_.pop_front();
      return;
    }
    // Defect batch-by-position: the i-th answer is taken for the i-th request.
    std::vector<std::string> keys = std::move(batches_.front());
    batches_.pop_front();
    size_t i = 0;
    for (const cJSON* r = msg->child; r != nullptr && i < keys.size(); r = r->next, ++i)
      handle_response(r, keys[i]);
    return;
  }
  if (!cJSON_IsObject(msg.get())) return;
  const cJSON* id = member(msg.get(), "id");
  auto method = string_member(msg.get(), "method");
  if (method && id == nullptr) {
    handle_notification(*method, member(msg.get(), "params"));
  } else if (id != nullptr && !method) {
    handle_response(msg.get(), print_json(id));
  }
}

void Engine::handle_response(const cJSON* response, const std::string& key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;  // timed out already, or not ours
  Pending p = std::move(it->second);
  pending_.erase(it);
  Reply r;
  const cJSON* error = member(response, "error");
  if (const cJSON* result = member(response, "result"); result != nullptr && error == nullptr) {
    r.outcome = Outcome::kResult;
    r.result = result;
  } else if (cJSON_IsObject(error)) {
    r.outcome = Outcome::kError;
    r.code = static_cast<int>(integer_member(error, "code").value_or(0));
    r.message = std::string(string_member(error, "message").value_or(""));
    if (!behaviour_.reads_code_not_message()) {
      if (const auto named = code_named(r.message)) r.code = *named;  // the defect: §3.9b broken
    }
    r.data = member(error, "data");
  } else {
    r.outcome = Outcome::kError;  // neither: a broken response still ends the call
    r.code = -32603;
  }
  p.done(r);
}

void Engine::handle_notification(std::string_view method, const cJSON* params) {
  if (!cJSON_IsObject(params)) return;
  if (method == "data.chunk") {
    on_chunk(params);
  } else if (method == "logs.update" || method == "metrics.update" ||
             method == "deployments.update") {
    on_update(method, params);
  }
  // §6.1: other notifications are not ours to understand.
}

void Engine::on_update(std::string_view method, const cJSON* params) {
  const std::optional<int64_t> seq = integer_member(params, "seq");
  if (!seq) return;
  // §6.1, §6.4: unknown members are ignored; the strict-* defects drop such notifications
  // (their seq still counts: the transport saw it, only the application misses it).
  bool deliver = true;
  const char* payload_key = method == "logs.update"      ? "entries"
                            : method == "metrics.update" ? "metrics"
                                                         : "deployment";
  if (!behaviour_.ignores_unknown_params_members() &&
      has_unknown_member(params, {"subscription", "service", "seq", payload_key}))
    deliver = false;
  if (method == "logs.update" && !behaviour_.ignores_unknown_entry_members()) {
    for (const cJSON* e = member(params, "entries") ? member(params, "entries")->child : nullptr;
         e != nullptr; e = e->next)
      if (has_unknown_member(e, {"ts", "level", "message", "source"})) deliver = false;
  }
  if (*seq != last_seq_ + 1) {
    Event gap{EventKind::kGap};
    gap.expected = last_seq_ + 1;
    gap.seq = *seq;
    emit(gap);
    if (*seq <= last_seq_) return;  // seen already (a replay overlap): nothing new
    const bool same_jump_again = resumed_gap_from_ == last_seq_;
    if (behaviour_.resumes_after_gap() && !(same_jump_again && behaviour_.accepts_repeated_gap())) {
      // §6.2: lastSeq stays the last seq before the jump; pump() ends this connection.
      gap_seen_ = true;
      resumed_gap_from_ = last_seq_;
      return;
    }
    resumed_gap_from_.reset();  // §6.2h: the sidecar lost them; no second resume for this jump
  }
  last_seq_ = *seq;
  if (!deliver) return;
  Event ev{EventKind::kNotification};
  ev.method = std::string(method);
  ev.subscription = std::string(string_member(params, "subscription").value_or(""));
  ev.seq = *seq;
  emit(ev);
}

void Engine::on_chunk(const cJSON* params) {
  auto stream = string_member(params, "stream");
  const std::optional<int64_t> index = integer_member(params, "index");
  auto payload = string_member(params, "payload");  // base64 text, or a bin read as base64
  if (!stream) return;
  auto it = streams_.find(std::string(*stream));
  if (it == streams_.end()) return;
  Stream& s = it->second;
  std::optional<std::string> raw = payload ? base64_decode(*payload) : std::nullopt;
  s.deadline = Clock::now() + config_.call_timeout;
  if (!index || !raw || !s.assembly.add_chunk(*index, *raw) || s.assembly.complete()) {
    LargeResult lr = s.assembly.finish();
    if (!index || !raw) {
      lr.verified = false;
      lr.entries.reset();
      lr.reason = "chunk without index or readable payload";
    }
    s.promise.set_value(std::move(lr));
    streams_.erase(it);
  }
}

// ---- Session ----

void Engine::start_authentication() {
  JsonPtr params(cJSON_CreateObject());
  cJSON_AddStringToObject(params.get(), "token", config_.token.c_str());
  if (behaviour_.sends_client_info()) {
    cJSON* info = cJSON_AddObjectToObject(params.get(), "clientInfo");
    cJSON_AddStringToObject(info, "version", config_.client_version.c_str());
    cJSON_AddStringToObject(info, "platform", config_.client_platform.c_str());
  }
  send_request("auth.authenticate", params.get(), [this](const Reply& r) {
    if (r.outcome == Outcome::kResult) {
      on_authenticated(r.result);
      return;
    }
    // Refused or unanswered: a failed attempt (§7.7). Wait a moment for the server's close, whose
    // code (4401) decides whether to try again.
    abandon_at_ = Clock::now() +
                  (r.outcome == Outcome::kError ? config_.call_timeout : Clock::duration::zero());
  });
}

void Engine::on_authenticated(const cJSON* result) {
  auto session = string_member(result, "sessionId");
  bool ok = session.has_value() && !session->empty();
  if (ok && !behaviour_.ignores_unknown_auth_members()) {
    ok = !has_unknown_member(result, {"sessionId", "server", "capabilities"}) &&
         !has_unknown_member(member(result, "capabilities"),
                             {"msgpack", "batch", "maxBatch", "maxMessageBytes", "compression",
                              "resumeGraceMs", "rateLimit"});
  }
  if (!ok) {
    abandon_at_ = Clock::now();
    return;
  }
  authenticated_here_ = true;
  failed_in_a_row_ = 0;
  delays_waited_ = 0;
  Event ev{EventKind::kAuthenticated};
  ev.session_id = std::string(*session);
  emit(ev);
  phase_ = Phase::kRestoring;
  restore_session(ev.session_id);
}

void Engine::restore_session(const std::string& fresh_id) {
  if (!have_session_) {
    have_session_ = true;
    session_id_ = fresh_id;
    last_seq_ = 0;
    become_ready();
    return;
  }
  if (!resume_for_gap_ && !behaviour_.resumes_after_reconnect()) {
    // Defect no-resume (§7.7 only; the resume after a seq jump is §6.2's): a fresh session, its
    // subscriptions made again.
    session_id_ = fresh_id;
    last_seq_ = 0;
    resubscribe(0);
    return;
  }
  JsonPtr params(cJSON_CreateObject());
  cJSON_AddStringToObject(params.get(), "sessionId", session_id_.c_str());
  cJSON_AddNumberToObject(params.get(), "lastSeq", double(last_seq_));
  send_request("session.resume", params.get(), [this, fresh_id](const Reply& r) {
    if (r.outcome == Outcome::kResult) {
      Event ev{EventKind::kResumed};
      ev.replayed = integer_member(r.result, "replayed").value_or(0);
      emit(ev);
      become_ready();  // the old session is the connection's session again (§7.3)
      return;
    }
    if (r.outcome == Outcome::kTimeout) abandon_at_ = Clock::now();  // end it; the next resumes
    if (r.outcome != Outcome::kError) return;
    Event ev{EventKind::kResumeFailed};
    ev.code = r.code;
    emit(ev);
    // §7.4: the old session is gone; the fresh one is ours, and every subscription is made again
    // on it before any call to the services they are about.
    session_id_ = fresh_id;
    last_seq_ = 0;
    if (behaviour_.resubscribes_after_expiry()) {
      resubscribe(0);
    } else {
      become_ready();
    }
  });
}

void Engine::resubscribe(size_t index) {
  if (index >= subscriptions_.size()) {
    become_ready();
    return;
  }
  const Subscription& sub = subscriptions_[index];
  JsonPtr params = parse_params(sub.params_json);
  send_request(sub.method, params.get(), [this, index](const Reply& r) {
    if (r.outcome == Outcome::kResult) {
      Subscription& s = subscriptions_[index];
      s.id = std::string(string_member(r.result, "subscription").value_or(""));
      Event ev{EventKind::kSubscribed};
      ev.method = s.method;
      ev.subscription = s.id;
      emit(ev);
    }
    if (r.outcome == Outcome::kResult || r.outcome == Outcome::kError) {
      resubscribe(index + 1);
    } else if (r.outcome == Outcome::kTimeout) {
      abandon_at_ = Clock::now();
    }
  });
}

void Engine::become_ready() {
  phase_ = Phase::kReady;
  if (ever_ready_ && !behaviour_.calls_at_once_after_reconnect())
    send_gate_ = Clock::now() + 10 * config_.backoff_base;  // defect slow-recovery
  ever_ready_ = true;
}

}  // namespace flake::client
