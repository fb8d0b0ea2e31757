// §7.1-7.5: session retention across abrupt ends (through the suite's fault proxy) and restarts,
// the replay ring, session.resume (success and errors) and takeover.

#include <thread>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/client/fault_proxy.hpp"
#include "conformance/client/sidecar_process.hpp"

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

// A subscribed session whose connection was cut by the proxy before anything was emitted.
std::string subscribed_then_cut(CaseContext& ctx, FaultProxy& proxy) {
  auto a = connect_through(ctx, proxy);
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
  proxy.cut();
  return session;
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

// A session with a logs subscription, some notifications seen, then dropped (§11.4).
struct Dropped {
  std::string session;
  std::string subscription;
  SeqCollector seen;
};

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

// Emits more entries for the detached session's subscription from another connection.
void emit_while_detached(CaseContext& ctx, RpcClient& rpc, int count) {
  ctx.call_test_method(rpc, "test.emitLogs",
                       {{"service", "vercel"}, {"count", count}, {"perNotification", 2}});
}

}  // namespace

void add_s7_sessions_and_resume_cases(Catalog& c) {
  c.add({.id = "7.1/1",
         .tier = Tier::Must,
         .requirement = "A connection that ends with a bare TCP close (no close frame) MUST leave "
                        "its session resumable, with what was emitted meanwhile replayed.",
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) { return survives(ctx, Fault::Cut); }});
  c.add({.id = "7.1/2",
         .tier = Tier::Must,
         .requirement = "A connection reset (TCP RST) MUST leave its session resumable, with what "
                        "was emitted meanwhile replayed.",
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) { return survives(ctx, Fault::Reset); }});
  c.add({.id = "7.1/3",
         .tier = Tier::Must,
         .requirement = "resumeGraceMs MUST be advertised (at least 30,000) and a session MUST "
                        "still resume 5,000 ms before it ends.",
         .budget = milliseconds(20000),
         .run = [](CaseContext& ctx) {
           const json& caps = ctx.capabilities();
           require(has_integer(caps, "resumeGraceMs") &&
                       caps["resumeGraceMs"].get<std::int64_t>() >= 30000,
                   "capabilities.resumeGraceMs, an integer of at least 30,000",
                   show(caps.value("resumeGraceMs", json())));
           const std::int64_t grace = caps["resumeGraceMs"];
           auto proxy = start_proxy(ctx);
           const std::string session = subscribed_then_cut(ctx, *proxy);
           ClockGuard clock(ctx);
           if (!clock.set(grace - 5000)) unimplemented_case("test.setClock is not available");
           std::this_thread::sleep_for(
               milliseconds(1500));  // grace periods are checked once a second (7.1)
           auto b = ctx.connect_authenticated();
           const Resumed r = resume(ctx, *b, session, 0);
           require(r.replayed >= 0,
                   "session.resume succeeds 5,000 ms (sidecar clock) before the grace period ends",
                   show(r.response));
           return pass();
         }});
  c.add({.id = "7.2/1",
         .tier = Tier::Must,
         .requirement = "A missed run of about 9,500 notifications (under the 10,000 minimum) MUST "
                        "be replayed in full.",
         .budget = milliseconds(90000),
         .run = [](CaseContext& ctx) {
           // 9,500 rather than 10,000: live entries the sidecar generates meanwhile also take ring
           // slots.
           constexpr int kCount = 9500;
           auto proxy = start_proxy(ctx);
           const std::string session = subscribed_then_cut(ctx, *proxy);
           auto b = ctx.connect_authenticated();
           emit_elsewhere(ctx, *b, kCount, 1);
           const Resumed r = resume(ctx, *b, session, 0);
           require(
               r.response.contains("result"),
               "a resume replaying a run of about 9,500 notifications (under the 10,000 minimum)",
               show(r.response));
           require_full_replay(r, 0, kCount);
           return pass();
         }});
  // The sidecar sends into a link that went silent; the client never sees those notifications, so
  // they must come back from the ring although they were "sent" while the session was attached.
  c.add({.id = "7.2/2",
         .tier = Tier::Must,
         .requirement =
             "Notifications sent into a link that went silent, then reset, MUST be replayed: the "
             "ring holds what was sent, not only what was generated while detached.",
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) {
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
         }});
  c.add({.id = "7.3/1",
         .tier = Tier::Must,
         .requirement = "After the resume response the sidecar MUST send every notification after "
                        "lastSeq with its original seq and content, in order.",
         .run = [](CaseContext& ctx) {
           Dropped d = subscribe_emit_drop(ctx, 20);
           require(d.seen.last >= 4, "at least 4 notifications before the drop",
                   std::to_string(d.seen.last));
           auto rpc = ctx.connect_authenticated();
           emit_while_detached(ctx, *rpc, 20);
           // Claim fewer than were seen: the overlap must come back identical.
           const std::int64_t last_seq = d.seen.last - 3;
           const json id = "resume";
           rpc->notifications().clear();
           rpc->send(make_request("session.resume",
                                  {{"sessionId", d.session}, {"lastSeq", last_seq}}, id));
           const Incoming first = rpc->receive(ctx.deadline());
           const json& r = require_value(first, "the session.resume response first");
           require(r.is_object() && r.value("id", json()) == id,
                   "the session.resume response before any replayed notification", show(r));
           require(r.contains("result") && r["result"].value("resumed", false) == true &&
                       has_integer(r["result"], "replayed"),
                   "{\"resumed\":true,\"replayed\":<n>}", show(r));
           const std::int64_t replayed = r["result"]["replayed"];
           require(replayed >= 3 + 10,
                   "replayed counts the 3 seen again plus at least 10 missed notifications",
                   "replayed " + std::to_string(replayed));
           SeqCollector after;
           for (std::int64_t i = 0; i < replayed; ++i) {
             auto n = rpc->next_notification(ctx.deadline());
             require(n.has_value(), std::to_string(replayed) + " replayed notifications",
                     "only " + std::to_string(i));
             after.add(*n);
           }
           require(after.problem.empty() && after.first == last_seq + 1,
                   "replayed seq " + std::to_string(last_seq + 1) + ".." +
                       std::to_string(last_seq + replayed) + " in order, no gap, no duplicate",
                   after.problem.empty() ? "first replayed seq " + std::to_string(after.first)
                                         : after.problem);
           for (std::int64_t s = last_seq + 1; s <= d.seen.last; ++s) {
             require(after.by_seq[s] == d.seen.by_seq[s],
                     "seq " + std::to_string(s) + " replayed unchanged",
                     show(after.by_seq[s], 200) + " vs " + show(d.seen.by_seq[s], 200));
           }
           SeqCollector missed;  // generated while detached: the second emission
           for (const auto& [s, params] : after.by_seq) {
             if (s > d.seen.last) missed.add({{"method", "logs.update"}, {"params", params}});
           }
           require(missed.has_all_entries(20),
                   "all 20 entries emitted while the session was detached among the replayed "
                   "notifications",
                   std::to_string(missed.test_entries()) + " of them");
           // Live notifications (if any) continue right after the replayed run.
           const auto live =
               rpc->next_notification(ctx.deadline_after(std::chrono::milliseconds(300)));
           if (live) {
             require((*live)["params"].value("seq", std::int64_t{0}) == last_seq + replayed + 1,
                     "the first live notification continues at seq " +
                         std::to_string(last_seq + replayed + 1),
                     show(*live, 200));
           }
           return pass();
         }});
  c.add({.id = "7.3/2",
         .tier = Tier::Must,
         .requirement = "The resumed session becomes the connection's: its subscriptions and seq "
                        "counter continue.",
         .run = [](CaseContext& ctx) {
           Dropped d = subscribe_emit_drop(ctx, 6);
           auto rpc = ctx.connect_authenticated();
           const json r = ctx.call_result(*rpc, "session.resume",
                                          {{"sessionId", d.session}, {"lastSeq", d.seen.last}});
           const std::int64_t replayed = r.value("replayed", std::int64_t{-1});
           require(r.value("resumed", false) && replayed >= 0,
                   "{\"resumed\":true,\"replayed\":<n>}", show(r));
           SeqCollector c = d.seen;
           const json id = "emit";
           rpc->send(make_request("test.emitLogs", {{"service", "vercel"}, {"count", 10}}, id));
           c.entries_by_n.clear();  // n restarts at 0 for every test.emitLogs call
           for (;;) {
             const Incoming in = rpc->wait_for([](const json&) { return true; }, ctx.deadline());
             const json& v = require_value(in, "notifications of the resumed subscription");
             if (is_notification(v)) {
               c.add(v);
               require(v["params"].value("subscription", "") == d.subscription,
                       "notifications for the resumed session's subscription", show(v, 200));
               continue;
             }
             break;
           }
           require(c.problem.empty(), "seq continues without gap or duplicate after the resume",
                   c.problem);
           require(c.has_all_entries(10),
                   "entries emitted after the resume delivered to the resumed subscription",
                   std::to_string(c.test_entries()) + " entries");
           return pass();
         }});
  c.add({.id = "7.3/3",
         .tier = Tier::Must,
         .group = Group::Reconnection,
         .requirement = "A lastSeq equal to the session's last seq MUST succeed with replayed 0, "
                        "and seq continues.",
         .budget = milliseconds(20000),
         .run = [](CaseContext& ctx) {
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
         }});
  c.add({.id = "7.3/4",
         .tier = Tier::Must,
         .group = Group::Reconnection,
         .requirement = "The connection's fresh session MUST be discarded by a successful resume "
                        "(resuming it: -32007).",
         .budget = milliseconds(20000),
         .run = [](CaseContext& ctx) {
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
         }});
  c.add({.id = "7.4/1",
         .tier = Tier::Must,
         .requirement = "An unknown sessionId MUST get -32007.",
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const json id = 1;
           rpc->send(make_request("session.resume",
                                  {{"sessionId", "no-such-session-0000"}, {"lastSeq", 0}}, id));
           require_error(rpc->wait_for_id(id, ctx.deadline()), -32007, id,
                         "session.resume of an unknown session");
           return pass();
         }});
  c.add({.id = "7.4/2",
         .tier = Tier::Must,
         .requirement = "A session whose grace period has passed (sidecar clock) MUST get -32007.",
         .run = [](CaseContext& ctx) {
           const std::int64_t grace =
               ctx.capabilities().value("resumeGraceMs", std::int64_t{30000});
           Dropped d = subscribe_emit_drop(ctx, 2);
           ClockGuard clock(ctx);
           if (!clock.set(grace + 5000)) unimplemented_case("test.setClock is not available");
           // Grace periods are checked at least once per second (7.1).
           std::this_thread::sleep_for(std::chrono::milliseconds(1500));
           auto rpc = ctx.connect_authenticated();
           const json id = 1;
           rpc->send(make_request("session.resume",
                                  {{"sessionId", d.session}, {"lastSeq", d.seen.last}}, id));
           require_error(rpc->wait_for_id(id, ctx.deadline()), -32007, id,
                         "session.resume after the grace period (clock moved past resumeGraceMs)");
           return pass();
         }});
  c.add({.id = "7.4/3",
         .tier = Tier::Must,
         .requirement = "A lastSeq greater than the session's last seq MUST get -32602 with data "
                        "{\"field\":\"lastSeq\"}.",
         .run = [](CaseContext& ctx) {
           Dropped d = subscribe_emit_drop(ctx, 4);
           auto rpc = ctx.connect_authenticated();
           const json id = 1;
           rpc->send(make_request("session.resume",
                                  {{"sessionId", d.session}, {"lastSeq", d.seen.last + 1000000}},
                                  id));
           const json e = require_error(rpc->wait_for_id(id, ctx.deadline()), -32602, id,
                                        "session.resume with lastSeq ahead of the session");
           require(e.contains("data") && e["data"].value("field", "") == "lastSeq",
                   "data {\"field\":\"lastSeq\"}", show(e));
           return pass();
         }});
  c.add({.id = "7.4/4",
         .tier = Tier::Must,
         .requirement = "A sessionId equal to the connection's current session MUST get -32602 "
                        "with data {\"field\":\"sessionId\"}.",
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           const std::string session = ctx.authenticate(*rpc).value("sessionId", "");
           const json id = 1;
           rpc->send(make_request("session.resume", {{"sessionId", session}, {"lastSeq", 0}}, id));
           const json e = require_error(rpc->wait_for_id(id, ctx.deadline()), -32602, id,
                                        "session.resume of the connection's own session");
           require(e.contains("data") && e["data"].value("field", "") == "sessionId",
                   "data {\"field\":\"sessionId\"}", show(e));
           return pass();
         }});
  c.add({.id = "7.4/5",
         .tier = Tier::Must,
         .group = Group::Reconnection,
         .requirement = "When the ring has lost notifications after lastSeq, session.resume MUST "
                        "answer -32007, never a partial replay.",
         .budget = milliseconds(120000),
         .run = [](CaseContext& ctx) {
           constexpr int kCount = 25000;
           auto proxy = start_proxy(ctx);
           const std::string session = subscribed_then_cut(ctx, *proxy);
           auto b = ctx.connect_authenticated();
           emit_elsewhere(ctx, *b, kCount, 1);
           const Resumed r = resume(ctx, *b, session, 0);
           if (r.response.contains("error")) {
             require_error_value(r.response, -32007, "resume",
                                 "session.resume after the ring overflowed");
             return pass();
           }
           // A sidecar may keep more than the minimum (§7.2); then the whole run must come back.
           require_full_replay(r, 0, kCount);
           skip_case("the sidecar kept all " + std::to_string(r.replayed) +
                     " notifications, so its ring could not be overflowed here");
         }});
  c.add({.id = "7.4/6",
         .tier = Tier::Must,
         .group = Group::Reconnection,
         .requirement = "After a session.resume error the connection's session and subscriptions "
                        "MUST be unchanged.",
         .budget = milliseconds(20000),
         .run = [](CaseContext& ctx) {
           auto a = ctx.connect();
           const std::string session = ctx.authenticate(*a).value("sessionId", "");
           ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
           const Resumed unknown = resume(ctx, *a, "no-such-session-0000", 0);
           require_error_value(unknown.response, -32007, "resume",
                               "session.resume of an unknown session");
           const Resumed own = resume(ctx, *a, session, 0);
           require_error_value(own.response, -32602, "resume",
                               "session.resume of the connection's own session");
           const std::string after = ctx.authenticate(*a).value("sessionId", "");
           require(after == session,
                   "the same sessionId on re-authentication after the failed resumes",
                   after + " instead of " + session);
           SeqCollector seen;
           emit_and_collect(ctx, *a, 4, seen);
           require(seen.problem.empty() && seen.has_all_entries(4),
                   "the subscription made before the failed resumes still delivers, in seq order",
                   seen.problem.empty() ? std::to_string(seen.test_entries()) + " entries"
                                        : seen.problem);
           return pass();
         }});
  c.add({.id = "7.4/7",
         .tier = Tier::Must,
         .group = Group::Reconnection,
         .requirement = "A session from before a restart of the sidecar MUST get -32007.",
         .budget = milliseconds(30000),
         .run = [](CaseContext& ctx) {
           if (!ctx.target().restart)
             skip_case("restarting needs a sidecar the suite started (--spawn or --reference)");
           auto a = ctx.connect();
           const std::string session = ctx.authenticate(*a).value("sessionId", "");
           ctx.call_result(*a, "logs.subscribe", {{"service", "vercel"}});
           std::string error;
           if (!ctx.target().restart(milliseconds(1000), error))
             fail_case("the sidecar restarted", error);
           auto b = ctx.connect_authenticated();
           const Resumed r = resume(ctx, *b, session, 0);
           require(r.response.contains("error"), "-32007 for a session from before the restart",
                   show(r.response));
           require_error_value(r.response, -32007, "resume", "session.resume after a restart");
           return pass();
         }});
  c.add({.id = "7.5/1",
         .tier = Tier::Must,
         .requirement =
             "Resuming a session still attached elsewhere MUST close that connection with 1008.",
         .run = [](CaseContext& ctx) {
           auto a = ctx.connect();
           const std::string session = ctx.authenticate(*a).value("sessionId", "");
           auto b = ctx.connect_authenticated();
           const json r =
               ctx.call_result(*b, "session.resume", {{"sessionId", session}, {"lastSeq", 0}});
           require(r.value("resumed", false) == true, "{\"resumed\":true,...}", show(r));
           const Incoming end = a->wait_for([](const json&) { return false; }, ctx.deadline());
           require_close(end, 1008, "the connection that held the resumed session");
           return pass();
         }});
}

}  // namespace flake::conform
