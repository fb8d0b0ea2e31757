// Helpers of the §7 cases (see session_util.hpp).
#include "conformance/cases/session_util.hpp"

#include "conformance/client/sidecar_process.hpp"

#include <thread>

namespace flake::conform {

using std::chrono::milliseconds;

std::unique_ptr<FaultProxy> start_proxy(CaseContext& ctx) {
  std::string error;
  // The proxy's upstream speaks TLS when the sidecar does; the cases reach the proxy in plain text.
  auto proxy = FaultProxy::start(ctx.target().url.host, ctx.target().url.port, target_tls(), error);
  if (!proxy) fail_case("a fault proxy in front of the sidecar (a harness facility)", error);
  return proxy;
}

std::unique_ptr<RpcClient> connect_through(CaseContext& ctx, const FaultProxy& proxy) {
  Url url = ctx.target().url;
  url.scheme = "ws";
  url.host = "127.0.0.1";
  url.port = proxy.port();
  ConnectOptions options = ctx.options();
  options.host_header = ctx.target().url.authority;
  options.tls.use = TlsConnect::Use::kPlain;
  auto rpc = ctx.client();
  const ConnectResult r = rpc->connect(url, options);
  if (!r.upgraded) {
    fail_case("a WebSocket upgrade through the fault proxy",
              r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error);
  }
  return rpc;
}

json emit_params(int count, int per_notification) {
  return {{"service", "vercel"}, {"count", count}, {"perNotification", per_notification}};
}

void emit_and_collect(CaseContext& ctx, RpcClient& rpc, int count, SeqCollector& seen) {
  const json id = "emit";
  rpc.send(make_request("test.emitLogs", emit_params(count, 2), id));
  for (;;) {
    const Incoming in = rpc.wait_for([](const json&) { return true; }, ctx.deadline());
    const json& v = require_value(in, "notifications, then the test.emitLogs response");
    if (is_notification(v)) {
      seen.add(v);
      continue;
    }
    unimplemented_if_missing(in, "test.emitLogs");
    require(v.contains("result"), "test.emitLogs answered with a result", show(v));
    return;
  }
}

void emit_elsewhere(CaseContext& ctx, RpcClient& rpc, int count, int per_notification) {
  const Incoming in =
      rpc.call("test.emitLogs", emit_params(count, per_notification),
               CallOptions{std::max(ctx.timeout(), milliseconds(30000)), Encoding::Json});
  unimplemented_if_missing(in, "test.emitLogs");
  const json& r = require_value(in, "the test.emitLogs response");
  require(r.contains("result"), "test.emitLogs answered with a result", show(r));
}

Resumed resume(CaseContext& ctx, RpcClient& rpc, const std::string& session,
               std::int64_t last_seq) {
  Resumed out;
  const json id = "resume";
  rpc.notifications().clear();
  rpc.send(make_request("session.resume", {{"sessionId", session}, {"lastSeq", last_seq}}, id));
  const Incoming first = rpc.wait_for_response(ctx.deadline_after(milliseconds(30000)));
  out.response = require_value(first, "the session.resume response");
  require(out.response.value("id", json()) == id, "the session.resume response",
          show(out.response));
  if (!out.response.contains("result")) return out;
  const json& r = out.response["result"];
  require(r.is_object() && r.value("resumed", false) == true && has_integer(r, "replayed"),
          "{\"resumed\":true,\"replayed\":<n>}", show(out.response));
  out.replayed = r["replayed"].get<std::int64_t>();
  for (std::int64_t i = 0; i < out.replayed; ++i) {
    auto n = rpc.next_notification(ctx.deadline());
    require(n.has_value(), std::to_string(out.replayed) + " replayed notifications",
            "only " + std::to_string(i));
    out.notes.add(*n);
  }
  return out;
}

void require_full_replay(const Resumed& r, std::int64_t last_seq, int count) {
  require(r.replayed >= 1, "a successful resume replaying the missed notifications",
          show(r.response));
  require(r.notes.problem.empty() && r.notes.first == last_seq + 1,
          "replayed seq from " + std::to_string(last_seq + 1) + " on, no gap, no duplicate",
          r.notes.problem.empty() ? "first replayed seq " + std::to_string(r.notes.first)
                                  : r.notes.problem);
  require(r.notes.has_all_entries(count),
          "all " + std::to_string(count) +
              " entries emitted after lastSeq among the replayed notifications",
          std::to_string(r.notes.test_entries()) + " of them");
}

Subscribed subscribed_through(CaseContext& ctx, const FaultProxy& proxy) {
  Subscribed s;
  s.rpc = connect_through(ctx, proxy);
  s.session = ctx.authenticate(*s.rpc).value("sessionId", "");
  ctx.call_result(*s.rpc, "logs.subscribe", {{"service", "vercel"}});
  emit_and_collect(ctx, *s.rpc, 6, s.seen);
  return s;
}

Outcome survives(CaseContext& ctx, Fault fault) {
  auto proxy = start_proxy(ctx);
  auto [a, session, seen] = subscribed_through(ctx, *proxy);
  if (fault == Fault::Cut) {
    proxy->cut();
  } else {
    proxy->reset();
  }
  auto b = ctx.connect_authenticated();
  emit_elsewhere(ctx, *b, 20, 2);
  const Resumed r = resume(ctx, *b, session, seen.last);
  require_full_replay(r, seen.last, 20);
  return pass();
}

std::string subscribed_then_cut(CaseContext& ctx, FaultProxy& proxy) {
  auto a = connect_through(ctx, proxy);
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
  proxy.cut();
  return session;
}

Quiet quiet_session(CaseContext& ctx, FaultProxy& proxy) {
  auto a = connect_through(ctx, proxy);
  Quiet q;
  q.session = ctx.authenticate(*a).value("sessionId", "");
  const std::string sub =
      ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}}).value("subscription", "");
  SeqCollector seen;
  emit_and_collect(ctx, *a, 4, seen);
  const json id = "unsub";
  a->send(make_request("logs.unsubscribe", {{"subscription", sub}}, id));
  for (;;) {
    const Incoming in = a->wait_for([](const json&) { return true; }, ctx.deadline());
    const json& v = require_value(in, "the logs.unsubscribe response");
    if (is_notification(v)) {
      seen.add(v);
      continue;
    }
    require_result(in, id, "logs.unsubscribe");
    break;
  }
  q.last_seq = seen.last;
  proxy.cut();
  return q;
}

Dropped subscribe_emit_drop(CaseContext& ctx, int count) {
  Dropped d;
  auto rpc = ctx.connect();
  d.session = ctx.authenticate(*rpc).value("sessionId", "");
  d.subscription =
      ctx.call_result(*rpc, "logs.subscribe", {{"service", "vercel"}}).value("subscription", "");
  const json id = "emit";
  rpc->send(make_request("test.emitLogs",
                         {{"service", "vercel"}, {"count", count}, {"perNotification", 2}}, id));
  for (;;) {
    const Incoming in = rpc->wait_for([](const json&) { return true; }, ctx.deadline());
    const json& v = require_value(in, "notifications and the test.emitLogs response");
    if (is_notification(v)) {
      d.seen.add(v);
      continue;
    }
    unimplemented_if_missing(in, "test.emitLogs");
    break;
  }
  require(d.seen.problem.empty() && d.seen.first == 1, "contiguous seq from 1 before the drop",
          d.seen.problem.empty() ? "first seq " + std::to_string(d.seen.first) : d.seen.problem);
  rpc->send(make_request("test.dropSession", nullptr, "drop"));
  for (;;) {
    const Incoming in = rpc->receive(ctx.deadline());
    if (in.kind == Incoming::Kind::Eof) break;
    if (in.is_value() && is_notification(in.value)) {
      d.seen.add(in.value);
      continue;
    }
    unimplemented_if_missing(in, "test.dropSession");
    if (in.is_value()) continue;  // a response is not expected (11.4), but not this case's point
    fail_case("test.dropSession: the TCP connection closed without a close frame", in.describe());
  }
  ctx.log().note("dropped after seq " + std::to_string(d.seen.last));
  return d;
}

void emit_while_detached(CaseContext& ctx, RpcClient& rpc, int count) {
  ctx.call_test_method(rpc, "test.emitLogs",
                       {{"service", "vercel"}, {"count", count}, {"perNotification", 2}});
}

}  // namespace flake::conform
