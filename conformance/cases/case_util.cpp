// Shared helpers for cases (see case_util.hpp).
#include "conformance/cases/case_util.hpp"

#include "conformance/client/chunk_assembler.hpp"

#include <cstdio>

namespace flake::conform {

json answer_id(const Incoming& in) {
  return in.is_value() && in.value.is_object() ? in.value.value("id", json()) : json();
}

namespace {
// The member `key` of `v`, or null when `v` is not an object or has no such member.
const json* member(const json& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  const auto it = v.find(std::string(key));
  return it == v.end() ? nullptr : &*it;
}
}  // namespace

bool has_string(const json& v, std::string_view key) {
  const json* m = member(v, key);
  return m != nullptr && m->is_string();
}
bool has_integer(const json& v, std::string_view key) {
  const json* m = member(v, key);
  return m != nullptr && m->is_number_integer();
}
bool has_number(const json& v, std::string_view key) {
  const json* m = member(v, key);
  return m != nullptr && m->is_number();
}
bool has_bool(const json& v, std::string_view key) {
  const json* m = member(v, key);
  return m != nullptr && m->is_boolean();
}
bool has_object(const json& v, std::string_view key) {
  const json* m = member(v, key);
  return m != nullptr && m->is_object();
}
bool has_array(const json& v, std::string_view key) {
  const json* m = member(v, key);
  return m != nullptr && m->is_array();
}

void require_msgpack_capability(CaseContext& ctx) {
  const json& caps = ctx.capabilities();
  if (caps.contains("msgpack") && caps["msgpack"] == false) {
    unimplemented_case("the sidecar advertises capabilities.msgpack false");
  }
}

Incoming await_close(CaseContext& ctx, RpcClient& rpc, bool messages_allowed) {
  for (;;) {
    Incoming in = rpc.receive(ctx.deadline());
    if (in.kind != Incoming::Kind::Value && in.kind != Incoming::Kind::Undecodable) return in;
    if (!messages_allowed) {
      fail_case("a close frame and no JSON-RPC answer", "got " + in.describe());
    }
  }
}

Incoming send_text_wait(CaseContext& ctx, RpcClient& rpc, std::string_view text) {
  if (!rpc.ws().send_text(text)) fail_case("the message to be sent", "the connection is gone");
  Incoming in = rpc.wait_for_response(ctx.deadline());
  // Which method this answers, so that require_result/require_error can tell a missing feature.
  const json sent = json::parse(text, nullptr, false);
  if (has_string(sent, "method")) {
    in.method = sent["method"].get<std::string>();
  }
  return in;
}

Incoming send_binary_wait(CaseContext& ctx, RpcClient& rpc, std::string_view bytes) {
  if (!rpc.ws().send_binary(bytes)) fail_case("the message to be sent", "the connection is gone");
  return rpc.wait_for_response(ctx.deadline());
}

std::string to_msgpack_bytes(const json& value) {
  const std::vector<std::uint8_t> bytes = json::to_msgpack(value);
  return std::string(bytes.begin(), bytes.end());
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') + "0" +
         std::string(static_cast<std::size_t>(depth), ']');
}

std::string request_with_depth(int depth, int id) {
  // The request object is level 1 and "params" level 2; the array inside adds the rest.
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"system.ping","params":{"x":)" + nested_arrays(depth - 2) + "}}";
}

void require_upgraded(const ConnectResult& r, std::string_view what) {
  require(r.upgraded, std::string(what) + ": HTTP 101 and a valid WebSocket handshake",
          r.status == 0 ? r.error : "HTTP " + std::to_string(r.status) + " (" + r.error + ")");
}

void require_refusal(const ConnectResult& r, int status, int code, std::string_view what) {
  const std::string expected = std::string(what) + ": HTTP " + std::to_string(status);
  require(r.connected, expected, "no TCP connection: " + r.error);
  require(r.status == status, expected,
          r.status == 0 ? "no HTTP answer (" + r.error + ")" : "HTTP " + std::to_string(r.status));
  if (code == 0) return;
  const json body = json::parse(r.body, nullptr, false);
  require(has_object(body, "error") && body["error"].value("code", 0) == code,
          expected + " with body {\"error\":{\"code\":" + std::to_string(code) + ",...}} (§9.3)",
          "body " + WireLog::summarize_text(r.body, 200));
}

ClockGuard::~ClockGuard() {
  if (!changed_ || !rpc_) return;
  // Best effort: a case that fails must still leave the clock as it found it.
  const Incoming in = rpc_->call("test.setClock", {{"offsetMs", 0}},
                                 CallOptions{std::chrono::milliseconds(2000), Encoding::Json});
  (void)in;
}

bool ClockGuard::set(std::int64_t offset_ms) {
  if (!rpc_) rpc_ = ctx_.connect_authenticated();
  const Incoming in = rpc_->call("test.setClock", {{"offsetMs", offset_ms}},
                                 CallOptions{ctx_.timeout(), Encoding::Json});
  if (in.is_value() && is_method_not_found(in.value)) {
    return false;
  }
  const json& r = require_value(in, "test.setClock answered");
  require(r.contains("result"),
          "test.setClock {\"offsetMs\":" + std::to_string(offset_ms) + "} answered with a result",
          show(r));
  changed_ = true;
  return true;
}

void SeqCollector::add(const json& n) {
  const json& params = n.contains("params") ? n["params"] : json();
  if (!has_integer(params, "seq")) {
    if (problem.empty()) problem = "notification without an integer seq: " + show(n);
    return;
  }
  const std::int64_t seq = params["seq"].get<std::int64_t>();
  if (by_seq.empty()) {
    first = seq;
  } else if (seq != last + 1 && problem.empty()) {
    problem = seq <= last
                  ? "seq " + std::to_string(seq) + " again after " + std::to_string(last)
                  : "seq jumped from " + std::to_string(last) + " to " + std::to_string(seq);
  }
  if (by_seq.count(seq) != 0 && problem.empty()) problem = "duplicate seq " + std::to_string(seq);
  by_seq[seq] = params;
  last = std::max(last, seq);
  if (has_array(params, "entries")) {
    if (params["entries"].empty() && problem.empty()) problem = "empty entries array (§6.3)";
    for (const auto& e : params["entries"]) {
      if (is_test_entry(e)) {
        ++entries_by_n[e["n"].get<std::int64_t>()];
      }
    }
  }
}

bool is_test_entry(const json& entry) {
  return entry.is_object() && entry.value("source", "") == "test.emitLogs" &&
         has_integer(entry, "n");
}

bool SeqCollector::has_all_entries(std::int64_t count) const {
  for (std::int64_t i = 0; i < count; ++i) {
    if (entries_by_n.count(i) == 0) return false;
  }
  return true;
}

json auth_params(const json& token) {
  return {{"token", token}, {"clientInfo", client_info()}};
}

json error_of(CaseContext& ctx, RpcClient& rpc, std::string_view method, const json& params,
              int code, std::string_view what) {
  const json id = rpc.next_id();
  rpc.send(make_request(method, params, id));
  return require_error(rpc.wait_for_id(id, ctx.deadline()), code, id, what);
}

json error_of(CaseContext&, RpcPath& path, std::string_view method, const json& params, int code,
              std::string_view what) {
  const json id = "error-of";
  return require_error(path.call(method, params, id), code, id, what);
}

void require_field(const json& error, std::string_view field, std::string_view what) {
  require(has_object(error, "data") && error["data"].value("field", "") == field,
          std::string(what) + ": data {\"field\":\"" + std::string(field) + "\"}", show(error));
}

long long ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

int level_rank(const std::string& level) {
  for (int i = 0; i < 4; ++i) {
    if (level == kLevels[i]) return i;
  }
  return -1;
}

std::string subscribe(CaseContext& ctx, RpcClient& rpc, std::string_view method, const json& params,
                      Encoding encoding) {
  const Incoming in = rpc.call(method, params, CallOptions{ctx.timeout(), encoding});
  const json& r = require_value(in, std::string(method) + " answered");
  require(has_object(r, "result") && has_string(r["result"], "subscription"),
          std::string(method) + ": {\"subscription\":<string>}", show(r));
  return r["result"]["subscription"];
}

SeqCollector emit_logs_and_collect(CaseContext& ctx, RpcClient& rpc, const json& params) {
  SeqCollector c;
  // Notifications queued while earlier calls waited for their answers come first.
  while (!rpc.notifications().empty()) {
    c.add(rpc.notifications().front());
    rpc.notifications().pop_front();
  }
  const json id = "emit";
  rpc.send(make_request("test.emitLogs", params, id));
  for (;;) {
    const Incoming in = rpc.receive(ctx.deadline());
    const json& v = require_value(in, "logs.update notifications, then the test.emitLogs response");
    if (is_notification(v)) {
      c.add(v);
      continue;
    }
    unimplemented_if_missing(in, "test.emitLogs");
    require(v.is_object() && v.value("id", json()) == id && v.contains("result"),
            "the test.emitLogs result", show(v));
    return c;
  }
}

void check_log_update(const json& params, const std::string& subscription,
                      std::string_view service) {
  require(params.value("subscription", "") == subscription,
          "params.subscription equal to the subscribe result", show(params, 200));
  require(params.value("service", "") == service, "params.service \"" + std::string(service) + "\"",
          show(params, 200));
  require(has_array(params, "entries") && !params["entries"].empty(), "a non-empty entries array",
          show(params, 200));
  for (const auto& e : params["entries"]) {
    require(has_integer(e, "ts") && has_string(e, "level") && level_rank(e["level"]) >= 0 &&
                has_string(e, "message"),
            "entries {\"ts\":<int>,\"level\":debug|info|warn|error,\"message\":<string>}", show(e));
    if (is_test_entry(e)) {
      const std::int64_t n = e["n"];
      require(e["message"] == "test entry " + std::to_string(n) && e["level"] == kLevels[n % 4],
              "test entry n: message \"test entry <n>\", level by n mod 4 (11.2)", show(e));
    }
  }
}

StartAttempt start_own_sidecar(CaseContext& ctx, const StartSpec& spec, std::string_view what) {
  if (!ctx.target().start_with) {
    skip_case(
        "needs a sidecar whose options the suite chooses: --reference, or --spawn with "
        "{options} in the command (11.7)");
  }
  std::string why;
  StartAttempt a = ctx.target().start_with(spec, why);
  if (!a.process) {
    if (a.result.error == StartError::kCannotStart) fail_case(std::string(what), why);
    skip_case(why);
  }
  ctx.log().note(std::string(what) + ": " + a.description);
  return a;
}

Url require_listening(CaseContext& ctx, const StartAttempt& start, std::string_view what) {
  (void)ctx;
  if (!start.url) {
    fail_case(std::string(what) + ": the sidecar listens and prints its start-up line",
              start.result.message + "; its output:\n" + start.process->output_tail());
  }
  return *start.url;
}

void require_start_refused(const StartAttempt& start, std::string_view what) {
  const std::string expected = std::string(what) + ": a non-zero exit status, no start-up line";
  if (start.url) fail_case(expected, "it listens at " + start.url->authority);
  if (start.result.error == StartError::kTimedOut) {
    fail_case(expected, "it " + start.result.message + " and kept running");
  }
  const std::optional<ExitInfo> exit = start.process->exit_info();
  require(exit && exit->exited && exit->code != 0, expected,
          !exit          ? std::string("no exit seen")
          : exit->exited ? "exit status 0"
                         : "killed by signal " + std::to_string(exit->signal));
}

json authenticate_at(CaseContext& ctx, RpcClient& rpc, const Url& url, std::string_view token,
                     std::string_view what) {
  const ConnectResult connected = rpc.connect(url, ctx.options());
  require_upgraded(connected, what);
  const Incoming auth = rpc.authenticate(token, client_info(), ctx.timeout());
  return require_result(auth, answer_id(auth), std::string(what) + ": auth.authenticate");
}

std::vector<json> exported_entries(CaseContext& ctx, RpcClient& rpc, const json& params) {
  const json id = "large";
  rpc.send(make_request("logs.getLarge", params, id));
  const Incoming first = rpc.wait_for_id(id, ctx.deadline());
  unimplemented_if_missing(first, "logs.getLarge");
  const json meta = require_result(first, id, "logs.getLarge " + params.dump());
  const auto ok = [](const std::optional<ChunkProblem>& problem) {
    if (problem) fail_case(problem->expected, problem->actual);
  };
  ChunkAssembler assembler;
  ok(assembler.start(meta));
  for (std::int64_t i = 0; i < assembler.announced_chunks(); ++i) {
    const Incoming in = rpc.wait_for(
        [&](const json& v) {
          return is_notification(v) && v.value("method", "") == "data.chunk" &&
                 v.value("params", json()).value("stream", "") == meta.value("stream", "");
        },
        ctx.deadline());
    const json n = require_value(
        in, std::to_string(assembler.announced_chunks()) + " data.chunk notifications");
    ok(assembler.add(n.value("params", json()), in.encoding));
  }
  ok(assembler.finish());
  return assembler.entries();
}

}  // namespace flake::conform
