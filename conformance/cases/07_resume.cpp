// §7.3-7.5: session.resume (success and errors) and session takeover.

#include "conformance/cases/cases.hpp"
#include "conformance/cases/session_util.hpp"
#include "conformance/client/sidecar_process.hpp"

namespace flake::conform {

using std::chrono::milliseconds;

void add_s7_resume_cases(Catalog& c) {
  c.add({.id = "7.3/1",
         .tier = Tier::Must,
         .requirement = "After the resume response the sidecar MUST send every notification after "
                        "lastSeq with its original seq and content, in order.",
         .rules = {"7.3a", "7.3b", "7.3c", "7.3d", "7.1b", "7.2a", "6.2d"},
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
         .rules = {"7.3c", "7.3d", "7.3e"},
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
         .rules = {"7.3e", "7.3g"},
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
         .rules = {"7.3f"},
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
         .rules = {"7.4a"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const json id = 1;
           require_error(path->call("session.resume",
                                    {{"sessionId", "no-such-session-0000"}, {"lastSeq", 0}}, id),
                         -32007, id, "session.resume of an unknown session");
           return pass();
         }});
  c.add({.id = "7.4/2",
         .tier = Tier::Must,
         .requirement = "A session whose grace period has passed (sidecar clock) MUST get -32007.",
         .rules = {"7.4b", "7.1c", "7.1d"},
         .timing = true,
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
         .rules = {"7.4f"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           Dropped d = subscribe_emit_drop(ctx, 4);
           auto path = open_rpc_path(ctx);
           const json id = 1;
           const json e = require_error(
               path->call("session.resume",
                          {{"sessionId", d.session}, {"lastSeq", d.seen.last + 1000000}}, id),
               -32602, id, "session.resume with lastSeq ahead of the session");
           require(e.contains("data") && e["data"].value("field", "") == "lastSeq",
                   "data {\"field\":\"lastSeq\"}", show(e));
           return pass();
         }});
  c.add({.id = "7.4/4",
         .tier = Tier::Must,
         .requirement = "A sessionId equal to the connection's current session MUST get -32602 "
                        "with data {\"field\":\"sessionId\"}.",
         .rules = {"7.4g"},
         .paths = kSocketPaths,
         .run = [](CaseContext& ctx) {
           const CallOptions how{ctx.timeout(), socket_encoding(ctx)};
           auto rpc = ctx.connect();
           const std::string session =
               ctx.call_result(*rpc, "auth.authenticate", auth_params(ctx.target().token),
                               how.encoding)
                   .value("sessionId", "");
           const Incoming in =
               rpc->call("session.resume", {{"sessionId", session}, {"lastSeq", 0}}, how);
           const json e = require_error(in, -32602, answer_id(in),
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
         .rules = {"7.4d", "7.4e"},
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
         .rules = {"7.4h", "7.4a", "7.4g"},
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
         .rules = {"7.4c"},
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
         .rules = {"7.5a"},
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
