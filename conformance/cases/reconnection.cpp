// §7 through real network failures: a fault proxy cuts, resets or stalls the TCP connection (no
// test.dropSession), and the session must survive with nothing lost; plus the replay ring's
// minimum, the no-partial-replay rule, resume edge cases and sessions across a sidecar restart.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/client/fault_proxy.hpp"
#include "conformance/client/sidecar_process.hpp"

#include <thread>

namespace flake::conform {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<FaultProxy> start_proxy(CaseContext& ctx) {
  std::string error;
  auto proxy = FaultProxy::start(ctx.target().url.host, ctx.target().url.port, error);
  if (!proxy) fail_case("a fault proxy in front of the sidecar (a harness facility)", error);
  return proxy;
}

// TCP goes through the proxy while Host still names the sidecar, which checks it (§4.3).
std::unique_ptr<RpcClient> connect_through(CaseContext& ctx, const FaultProxy& proxy) {
  Url url = ctx.target().url;
  url.host = "127.0.0.1";
  url.port = proxy.port();
  ConnectOptions options = ctx.options();
  options.host_header = ctx.target().url.authority;
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

// Emits entries for vercel from `rpc` and collects its notifications up to the response (§11.2: the
// response comes after the last notification the call produced for this connection).
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

// An emission on another connection, for a session that is (or is about to be) detached.
void emit_elsewhere(CaseContext& ctx, RpcClient& rpc, int count, int per_notification) {
  const Incoming in =
      rpc.call("test.emitLogs", emit_params(count, per_notification),
               CallOptions{std::max(ctx.timeout(), milliseconds(30000)), Encoding::Json});
  unimplemented_if_missing(in, "test.emitLogs");
  const json& r = require_value(in, "the test.emitLogs response");
  require(r.contains("result"), "test.emitLogs answered with a result", show(r));
}

// Sends session.resume and reads the response plus every replayed notification.
struct Resumed {
  json response;
  std::int64_t replayed = -1;
  SeqCollector notes;
};

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
  require(r.is_object() && r.value("resumed", false) == true && r.contains("replayed") &&
              r["replayed"].is_number_integer(),
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

// The replayed run starts right after lastSeq, has no gap or duplicate and holds `count` emitted
// entries (n = 0 .. count-1).
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

enum class Fault { Cut, Reset };

Outcome survives(CaseContext& ctx, Fault fault) {
  auto proxy = start_proxy(ctx);
  auto a = connect_through(ctx, *proxy);
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
  SeqCollector seen;
  emit_and_collect(ctx, *a, 6, seen);
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

// The sidecar sends into a link that went silent; the client never sees those notifications, so
// they must come back from the ring although they were "sent" while the session was attached.
Outcome sent_but_lost(CaseContext& ctx) {
  auto proxy = start_proxy(ctx);
  auto a = connect_through(ctx, *proxy);
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
  SeqCollector seen;
  emit_and_collect(ctx, *a, 6, seen);
  proxy->stall(true);
  auto b = ctx.connect_authenticated();
  emit_elsewhere(ctx, *b, 20, 2);
  proxy->reset();
  const Resumed r = resume(ctx, *b, session, seen.last);
  require_full_replay(r, seen.last, 20);
  return pass();
}

// A subscribed session whose connection was cut by the proxy before anything was emitted.
std::string subscribed_then_cut(CaseContext& ctx, FaultProxy& proxy) {
  auto a = connect_through(ctx, proxy);
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
  proxy.cut();
  return session;
}

Outcome ring_minimum(CaseContext& ctx) {
  // 9,500 rather than 10,000: live entries the sidecar generates meanwhile also take ring slots.
  constexpr int kCount = 9500;
  auto proxy = start_proxy(ctx);
  const std::string session = subscribed_then_cut(ctx, *proxy);
  auto b = ctx.connect_authenticated();
  emit_elsewhere(ctx, *b, kCount, 1);
  const Resumed r = resume(ctx, *b, session, 0);
  require(r.response.contains("result"),
          "a resume replaying a run of about 9,500 notifications (under the 10,000 minimum)",
          show(r.response));
  require_full_replay(r, 0, kCount);
  return pass();
}

Outcome no_partial_replay(CaseContext& ctx) {
  constexpr int kCount = 25000;
  auto proxy = start_proxy(ctx);
  const std::string session = subscribed_then_cut(ctx, *proxy);
  auto b = ctx.connect_authenticated();
  emit_elsewhere(ctx, *b, kCount, 1);
  const Resumed r = resume(ctx, *b, session, 0);
  if (r.response.contains("error")) {
    require_error_value(r.response, -32007, "resume", "session.resume after the ring overflowed");
    return pass();
  }
  // A sidecar may keep more than the minimum (§7.2); then the whole run must come back.
  require_full_replay(r, 0, kCount);
  skip_case("the sidecar kept all " + std::to_string(r.replayed) +
            " notifications, so its ring could not be overflowed here");
}

Outcome still_within_grace(CaseContext& ctx) {
  const json& caps = ctx.capabilities();
  require(caps.contains("resumeGraceMs") && caps["resumeGraceMs"].is_number_integer() &&
              caps["resumeGraceMs"].get<std::int64_t>() >= 30000,
          "capabilities.resumeGraceMs, an integer of at least 30,000",
          show(caps.value("resumeGraceMs", json())));
  const std::int64_t grace = caps["resumeGraceMs"];
  auto proxy = start_proxy(ctx);
  const std::string session = subscribed_then_cut(ctx, *proxy);
  ClockGuard clock(ctx);
  if (!clock.set(grace - 5000)) unimplemented_case("test.setClock is not available");
  std::this_thread::sleep_for(milliseconds(1500));  // grace periods are checked once a second (7.1)
  auto b = ctx.connect_authenticated();
  const Resumed r = resume(ctx, *b, session, 0);
  require(r.replayed >= 0,
          "session.resume succeeds 5,000 ms (sidecar clock) before the grace period ends",
          show(r.response));
  return pass();
}

// A session with one logs subscription that saw a few notifications, then unsubscribed: its last
// seq is known exactly, because nothing can add to it any more (§5.11).
struct Quiet {
  std::string session;
  std::int64_t last_seq = 0;
};

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

Outcome resume_at_last_seq(CaseContext& ctx) {
  auto proxy = start_proxy(ctx);
  const Quiet q = quiet_session(ctx, *proxy);
  auto b = ctx.connect_authenticated();
  const Resumed r = resume(ctx, *b, q.session, q.last_seq);
  require(r.replayed == 0,
          "lastSeq equal to the session's last seq: {\"resumed\":true,\"replayed\":0}",
          show(r.response));
  ctx.call_result(*b, "logs.subscribe", {{"service", "vercel"}});
  SeqCollector next;
  emit_and_collect(ctx, *b, 2, next);
  require(next.first == q.last_seq + 1 && next.problem.empty(),
          "the resumed seq counter continues at " + std::to_string(q.last_seq + 1),
          next.problem.empty() ? "seq " + std::to_string(next.first) : next.problem);
  return pass();
}

Outcome fresh_session_discarded(CaseContext& ctx) {
  auto proxy = start_proxy(ctx);
  const Quiet q = quiet_session(ctx, *proxy);
  auto b = ctx.connect();
  const std::string fresh = ctx.authenticate(*b).value("sessionId", "");
  const Resumed r = resume(ctx, *b, q.session, q.last_seq);
  require(r.replayed >= 0, "session.resume succeeds", show(r.response));
  auto c = ctx.connect_authenticated();
  const Resumed again = resume(ctx, *c, fresh, 0);
  require(again.response.contains("error"),
          "-32007 for the fresh session the resume replaced (it was discarded)",
          show(again.response));
  require_error_value(again.response, -32007, "resume",
                      "session.resume of the replaced fresh session");
  return pass();
}

Outcome unchanged_after_error(CaseContext& ctx) {
  auto a = ctx.connect();
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
  const Resumed unknown = resume(ctx, *a, "no-such-session-0000", 0);
  require_error_value(unknown.response, -32007, "resume", "session.resume of an unknown session");
  const Resumed own = resume(ctx, *a, session, 0);
  require_error_value(own.response, -32602, "resume",
                      "session.resume of the connection's own session");
  const std::string after = ctx.authenticate(*a).value("sessionId", "");
  require(after == session, "the same sessionId on re-authentication after the failed resumes",
          after + " instead of " + session);
  SeqCollector seen;
  emit_and_collect(ctx, *a, 4, seen);
  require(seen.problem.empty() && seen.has_all_entries(4),
          "the subscription made before the failed resumes still delivers, in seq order",
          seen.problem.empty() ? std::to_string(seen.test_entries()) + " entries" : seen.problem);
  return pass();
}

Outcome across_restart(CaseContext& ctx) {
  if (!ctx.target().restart)
    skip_case("restarting needs a sidecar the suite started (--spawn or --reference)");
  auto a = ctx.connect();
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
  std::string error;
  if (!ctx.target().restart(milliseconds(1000), error)) fail_case("the sidecar restarted", error);
  auto b = ctx.connect_authenticated();
  const Resumed r = resume(ctx, *b, session, 0);
  require(r.response.contains("error"), "-32007 for a session from before the restart",
          show(r.response));
  require_error_value(r.response, -32007, "resume", "session.resume after a restart");
  return pass();
}

}  // namespace

void add_reconnection_cases(Catalog& c) {
  c.add({"7.1/1", Tier::Must, Group::Reconnection,
         "A connection that ends with a bare TCP close (no close frame) MUST leave its session "
         "resumable, with what was emitted meanwhile replayed.",
         [](CaseContext& ctx) { return survives(ctx, Fault::Cut); }, milliseconds(30000)});
  c.add({"7.1/2", Tier::Must, Group::Reconnection,
         "A connection reset (TCP RST) MUST leave its session resumable, with what was emitted "
         "meanwhile replayed.",
         [](CaseContext& ctx) { return survives(ctx, Fault::Reset); }, milliseconds(30000)});
  c.add({"7.1/3", Tier::Must, Group::Reconnection,
         "resumeGraceMs MUST be advertised (at least 30,000) and a session MUST still resume 5,000 "
         "ms "
         "before it ends.",
         still_within_grace, milliseconds(20000)});
  c.add({"7.2/1", Tier::Must, Group::Reconnection,
         "A missed run of about 9,500 notifications (under the 10,000 minimum) MUST be replayed in "
         "full.",
         ring_minimum, milliseconds(90000)});
  c.add({"7.2/2", Tier::Must, Group::Reconnection,
         "Notifications sent into a link that went silent, then reset, MUST be replayed: the ring "
         "holds "
         "what was sent, not only what was generated while detached.",
         sent_but_lost, milliseconds(30000)});
  c.add(
      {"7.3/3", Tier::Must, Group::Reconnection,
       "A lastSeq equal to the session's last seq MUST succeed with replayed 0, and seq continues.",
       resume_at_last_seq, milliseconds(20000)});
  c.add({"7.3/4", Tier::Must, Group::Reconnection,
         "The connection's fresh session MUST be discarded by a successful resume (resuming it: "
         "-32007).",
         fresh_session_discarded, milliseconds(20000)});
  c.add({"7.4/5", Tier::Must, Group::Reconnection,
         "When the ring has lost notifications after lastSeq, session.resume MUST answer -32007, "
         "never a partial replay.",
         no_partial_replay, milliseconds(120000)});
  c.add(
      {"7.4/6", Tier::Must, Group::Reconnection,
       "After a session.resume error the connection's session and subscriptions MUST be unchanged.",
       unchanged_after_error, milliseconds(20000)});
  c.add({"7.4/7", Tier::Must, Group::Reconnection,
         "A session from before a restart of the sidecar MUST get -32007.", across_restart,
         milliseconds(30000)});
}

}  // namespace flake::conform
