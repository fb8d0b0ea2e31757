// auth.authenticate, system.ping, session.resume and rpc.discover (docs/protocol.md §4, §5, §7).
#include <cmath>
#include <cstdio>

#include "reference/defects/seams.hpp"
#include "reference/rpc/methods/methods.hpp"
#include "reference/state/token.hpp"

namespace flake {

bool params_empty(const cJSON* params) {
  // Members a method does not define are ignored (§3.6); positional values are not.
  return params == nullptr || cJSON_IsObject(params) || (cJSON_IsArray(params) && !params->child);
}

RpcError params_not_object() {
  return invalid_params("params", "params must be an object of named parameters");
}

namespace {

JsonPtr capabilities(const ServerState& server) {
  const Options& o = server.options;
  JsonPtr caps(cJSON_CreateObject());
  cJSON_AddBoolToObject(caps.get(), "msgpack", true);
  cJSON_AddBoolToObject(caps.get(), "batch", true);
  cJSON_AddNumberToObject(caps.get(), "maxBatch", 100);
  cJSON_AddNumberToObject(caps.get(), "maxMessageBytes", static_cast<double>(o.max_message_bytes));
  cJSON* compression = cJSON_AddArrayToObject(caps.get(), "compression");
  if (!server.has(Defect::kCompressionUnadvertised))
    cJSON_AddItemToArray(compression, cJSON_CreateString("permessage-deflate"));
  if (!server.has(Defect::kCapabilitiesIncomplete))
    cJSON_AddNumberToObject(caps.get(), "resumeGraceMs", static_cast<double>(o.resume_grace_ms));
  cJSON* rate = cJSON_AddObjectToObject(caps.get(), "rateLimit");
  cJSON_AddNumberToObject(rate, "rate", o.rate);
  cJSON_AddNumberToObject(rate, "burst", o.rate > 0 ? o.burst : 0);
  return caps;
}

JsonPtr auth_result(const ServerState& server, const Session& session) {
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddStringToObject(result.get(), "sessionId", session.id.c_str());
  cJSON* info = cJSON_AddObjectToObject(result.get(), "server");
  cJSON_AddStringToObject(info, "name", "flake-sidecar");
  cJSON_AddStringToObject(info, "version", FLAKE_VERSION);
  cJSON_AddStringToObject(info, "protocol", "flake.v1");
  cJSON_AddItemToObject(result.get(), "capabilities", capabilities(server).release());
  return result;
}

// §4.7: every failure counts, a client notification's too; §4.9f: an authenticated connection
// stays authenticated.
RpcError failed_attempt(CallContext& ctx, RpcError error) {
  Connection& c = *ctx.connection;
  if (c.session != nullptr && seam::failed_attempt_unauthenticates(ctx.server)) {
    ctx.server.attached.erase(c.session);
    ctx.server.sessions.erase(c.session->id);
    c.session = nullptr;
    ctx.authenticated = false;
  }
  if (!seam::failed_attempt_counted(ctx.server, ctx.notification)) return error;
  if (++c.failed_auths >= ctx.server.limits.max_failed_auths) {
    ctx.close_after_code = 4401;
    ctx.close_after_reason = "too many failed authentications";
  }
  return error;
}

// §4.6d: an object whose `version` and `platform`, where present, are strings; other members may
// be anything (§4.6i).
bool client_info_valid(const ServerState& server, const cJSON* info) {
  if (!cJSON_IsObject(info)) return seam::client_info_unchecked(server);
  for (const cJSON* m = info->child; m != nullptr; m = m->next) {
    if (!cJSON_IsString(m) && seam::client_info_member_checked(server, m->string)) return false;
  }
  return true;
}

// A non-negative integer that a double represents exactly.
bool as_sequence(const cJSON* item, uint64_t& out) {
  if (!cJSON_IsNumber(item)) return false;
  double v = item->valuedouble;
  if (v < 0 || v > 9007199254740991.0 || std::floor(v) != v) return false;
  out = static_cast<uint64_t>(v);
  return true;
}

}  // namespace

Outcome handle_authenticate(CallContext& ctx, std::string_view, const cJSON* params) {
  Connection& c = *ctx.connection;
  auto token = string_member(params, "token");
  if (!cJSON_IsObject(params) || !token) {
    if (seam::bad_token_unauthenticated(ctx.server))
      return failed_attempt(ctx, rpc_error(kUnauthenticated, "invalid token"));
    return failed_attempt(ctx, invalid_params("token", "token must be a string"));
  }
  if (const cJSON* info = member(params, "clientInfo");
      info && !client_info_valid(ctx.server, info)) {
    return failed_attempt(
        ctx, invalid_params("clientInfo",
                            "clientInfo must be an object whose version and platform are strings"));
  }
  const std::string_view secret = ctx.server.token;
  if (!token_matches(secret, seam::token_as_compared(ctx.server, *token))) {
    seam::after_failed_token(ctx.server);
    return failed_attempt(ctx, rpc_error(kUnauthenticated, "invalid token"));
  }
  if (c.session != nullptr && seam::reauth_replaces_session(ctx.server)) {
    ctx.server.attached.erase(c.session);
    ctx.server.sessions.erase(c.session->id);
    c.session = nullptr;
  }
  if (c.session == nullptr) {
    Session& session = ctx.server.sessions.create();
    c.session = &session;
    ctx.server.attached[&session] = &c;
  }
  ctx.authenticated = true;
  return auth_result(ctx.server, *c.session);
}

Outcome handle_ping(CallContext& ctx, std::string_view, const cJSON*) {
  JsonPtr result(cJSON_CreateObject());
  const int64_t now = ctx.server.epoch_ms();
  cJSON_AddItemToObjectCS(  // a literal key, referenced rather than copied
      result.get(), "now",
      cJSON_CreateNumber(
          static_cast<double>(ctx.server.has(Defect::kPingSeconds) ? now / 1000 : now)));
  return result;
}

namespace {

JsonPtr resumed_result(size_t replayed) {
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddBoolToObject(result.get(), "resumed", true);
  cJSON_AddNumberToObject(result.get(), "replayed", static_cast<double>(replayed));
  return result;
}

// Defect resume-error-resets: the connection's session is swapped for a new, empty one.
void replace_session(ServerState& server, Connection& c) {
  if (Session* current = c.session) {
    server.attached.erase(current);
    server.sessions.erase(current->id);
  }
  Session& fresh = server.sessions.create();
  c.session = &fresh;
  server.attached[&fresh] = &c;
}

}  // namespace

Outcome handle_resume(CallContext& ctx, std::string_view, const cJSON* params) {
  if (!cJSON_IsObject(params)) return params_not_object();
  auto session_id = string_member(params, "sessionId");
  if (!session_id && ctx.server.has(Defect::kResumeNoIdExpired) &&
      member(params, "sessionId") == nullptr)
    session_id = std::string_view();
  if (!session_id) return invalid_params("sessionId", "sessionId must be a string");
  uint64_t last_seq = 0;
  if (!as_sequence(member(params, "lastSeq"), last_seq)) {
    return invalid_params("lastSeq", "lastSeq must be an integer >= 0");
  }
  ServerState& server = ctx.server;
  Connection& c = *ctx.connection;
  Session* old = server.sessions.find(*session_id);
  if (old == nullptr) {
    if (server.has(Defect::kResumeAnySession)) return resumed_result(0);
    if (server.has(Defect::kResumeErrorResets)) replace_session(server, c);
    return rpc_error(kSessionExpired, "session expired or unknown");
  }
  if (old == c.session) {
    if (server.has(Defect::kResumeOwnSession)) return resumed_result(0);
    return invalid_params("sessionId", "this connection already holds that session");
  }
  if (server.has(Defect::kResumeAheadOk) && last_seq > old->last_seq) last_seq = old->last_seq;
  if (last_seq > old->last_seq ||
      (server.has(Defect::kResumeAtLastError) && last_seq > 0 && last_seq == old->last_seq)) {
    return invalid_params("lastSeq", "lastSeq is beyond the session's last notification");
  }
  uint64_t replay_from = last_seq;
  if (server.has(Defect::kResumeDuplicate) && replay_from > 0) --replay_from;
  auto frames = old->ring.since(replay_from);
  if (!frames && server.has(Defect::kPartialReplay))
    frames = old->ring.since(old->ring.oldest_seq() - 1);
  if (!frames) return rpc_error(kSessionExpired, "the missed notifications are no longer held");

  {
    if (auto it = server.attached.find(old); it != server.attached.end()) {
      Connection* other = it->second;
      other->session = nullptr;
      request_close(*other, server.has(Defect::kTakeoverClose1000) ? 1000 : 1008,
                    "session resumed elsewhere");
      server.attached.erase(it);
    }
    if (Session* fresh = c.session; fresh != nullptr && server.has(Defect::kTwoSessionsAttached)) {
      // The defect: the fresh session stays attached to this connection beside the resumed one.
    } else if (fresh != nullptr) {
      server.attached.erase(fresh);
      if (server.has(Defect::kKeepFreshSession)) {
        server.sessions.detach(*fresh, server.now_ms());
      } else {
        server.sessions.erase(fresh->id);
      }
    }
    c.session = old;
    server.sessions.attach(*old);
    server.attached[old] = &c;
  }
  // n counts the whole missed run (§7.3a), whatever the replay then leaves out.
  const size_t replayed = ctx.follow_up.size() + frames->size();
  seam::replay_as_sent(server, *old, *frames);
  for (ReplayFrame& frame : *frames)
    ctx.follow_up.push_back(OutFrame{std::move(frame.frame), frame.binary, std::move(frame.tail)});
  return resumed_result(replayed);
}

namespace {

// §5.5d: "name[!]:type ..." as OpenRPC content descriptors {name, required, schema:{type}}.
cJSON* content_descriptors(std::string_view words) {
  cJSON* out = cJSON_CreateArray();
  while (!words.empty()) {
    const size_t space = words.find(' ');
    const std::string_view word = words.substr(0, space);
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
    const size_t colon = word.find(':');
    std::string_view name = word.substr(0, colon);
    const bool required = name.ends_with('!');
    if (required) name.remove_suffix(1);
    cJSON* d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "name", std::string(name).c_str());
    cJSON_AddBoolToObject(d, "required", required);
    cJSON* schema = cJSON_AddObjectToObject(d, "schema");
    cJSON_AddStringToObject(schema, "type", std::string(word.substr(colon + 1)).c_str());
    cJSON_AddItemToArray(out, d);
  }
  return out;
}

}  // namespace

Outcome handle_discover(CallContext& ctx, std::string_view, const cJSON*) {
  JsonPtr doc(cJSON_CreateObject());
  cJSON_AddStringToObject(doc.get(), "openrpc", "1.2.6");
  cJSON* info = cJSON_AddObjectToObject(doc.get(), "info");
  cJSON_AddStringToObject(info, "title", "flake.v1");
  cJSON_AddStringToObject(info, "version", FLAKE_VERSION);
  cJSON* methods = cJSON_AddArrayToObject(doc.get(), "methods");
  for (const MethodSpec& spec : method_table()) {
    if (spec.conformance_only && !seam::test_methods_on(ctx.server)) continue;
    cJSON* m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "name", std::string(spec.name).c_str());
    if (ctx.server.has(Defect::kServiceNameUnchecked) && spec.name == "aws.getDashboard") {
      cJSON* extra = cJSON_CreateObject();
      cJSON_AddStringToObject(extra, "name", "Edge_Cache.getDashboard");
      cJSON_AddItemToArray(methods, extra);
    }
    cJSON_AddStringToObject(m, "summary", std::string(spec.summary).c_str());
    if (ctx.server.has(Defect::kDiscoverParamsInformal)) {
      cJSON_AddStringToObject(m, "params", std::string(spec.params).c_str());
    } else {
      cJSON_AddItemToObject(m, "params", content_descriptors(spec.descriptors));
    }
    cJSON_AddStringToObject(m, "result", std::string(spec.result).c_str());
    cJSON_AddBoolToObject(m, "x-requiresAuth", spec.requires_auth);
    cJSON_AddBoolToObject(m, "x-socketOnly", spec.socket_only);
    cJSON_AddItemToArray(methods, m);
  }
  cJSON* notifications = cJSON_AddArrayToObject(doc.get(), "notifications");
  const bool incomplete = ctx.server.has(Defect::kDiscoverIncomplete);
  for (const char* name : {"logs.update", "metrics.update", "deployments.update", "data.chunk"}) {
    if (incomplete && std::string_view(name) == "data.chunk") continue;
    cJSON* n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "name", name);
    cJSON_AddItemToArray(notifications, n);
  }
  return doc;
}

}  // namespace flake
