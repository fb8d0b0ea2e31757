// §7: session.resume after test.dropSession replays exactly the missed notifications, in order,
// with their original seq and content, then continues live; errors -32007 and -32602.
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"

#include <thread>

namespace flake::conform {
namespace {

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

Outcome replay(CaseContext& ctx) {
  Dropped d = subscribe_emit_drop(ctx, 20);
  require(d.seen.last >= 4, "at least 4 notifications before the drop",
          std::to_string(d.seen.last));
  auto rpc = ctx.connect_authenticated();
  emit_while_detached(ctx, *rpc, 20);
  // Claim fewer than were seen: the overlap must come back identical.
  const std::int64_t last_seq = d.seen.last - 3;
  const json id = "resume";
  rpc->notifications().clear();
  rpc->send(make_request("session.resume", {{"sessionId", d.session}, {"lastSeq", last_seq}}, id));
  const Incoming first = rpc->receive(ctx.deadline());
  const json& r = require_value(first, "the session.resume response first");
  require(r.is_object() && r.value("id", json()) == id,
          "the session.resume response before any replayed notification", show(r));
  require(r.contains("result") && r["result"].value("resumed", false) == true &&
              r["result"].contains("replayed") && r["result"]["replayed"].is_number_integer(),
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
  require(
      after.problem.empty() && after.first == last_seq + 1,
      "replayed seq " + std::to_string(last_seq + 1) + ".." + std::to_string(last_seq + replayed) +
          " in order, no gap, no duplicate",
      after.problem.empty() ? "first replayed seq " + std::to_string(after.first) : after.problem);
  for (std::int64_t s = last_seq + 1; s <= d.seen.last; ++s) {
    require(after.by_seq[s] == d.seen.by_seq[s], "seq " + std::to_string(s) + " replayed unchanged",
            show(after.by_seq[s], 200) + " vs " + show(d.seen.by_seq[s], 200));
  }
  SeqCollector missed;  // generated while detached: the second emission
  for (const auto& [s, params] : after.by_seq) {
    if (s > d.seen.last) missed.add({{"method", "logs.update"}, {"params", params}});
  }
  require(missed.has_all_entries(20),
          "all 20 entries emitted while the session was detached among the replayed notifications",
          std::to_string(missed.test_entries()) + " of them");
  // Live notifications (if any) continue right after the replayed run.
  const auto live = rpc->next_notification(ctx.deadline_after(std::chrono::milliseconds(300)));
  if (live) {
    require(
        (*live)["params"].value("seq", std::int64_t{0}) == last_seq + replayed + 1,
        "the first live notification continues at seq " + std::to_string(last_seq + replayed + 1),
        show(*live, 200));
  }
  return pass();
}

Outcome resumed_continues(CaseContext& ctx) {
  Dropped d = subscribe_emit_drop(ctx, 6);
  auto rpc = ctx.connect_authenticated();
  const json r =
      ctx.call_result(*rpc, "session.resume", {{"sessionId", d.session}, {"lastSeq", d.seen.last}});
  const std::int64_t replayed = r.value("replayed", std::int64_t{-1});
  require(r.value("resumed", false) && replayed >= 0, "{\"resumed\":true,\"replayed\":<n>}",
          show(r));
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
  require(c.problem.empty(), "seq continues without gap or duplicate after the resume", c.problem);
  require(c.has_all_entries(10),
          "entries emitted after the resume delivered to the resumed subscription",
          std::to_string(c.test_entries()) + " entries");
  return pass();
}

Outcome unknown_session(CaseContext& ctx) {
  auto rpc = ctx.connect_authenticated();
  const json id = 1;
  rpc->send(
      make_request("session.resume", {{"sessionId", "no-such-session-0000"}, {"lastSeq", 0}}, id));
  require_error(rpc->wait_for_id(id, ctx.deadline()), -32007, id,
                "session.resume of an unknown session");
  return pass();
}

Outcome ahead_of_session(CaseContext& ctx) {
  Dropped d = subscribe_emit_drop(ctx, 4);
  auto rpc = ctx.connect_authenticated();
  const json id = 1;
  rpc->send(make_request("session.resume",
                         {{"sessionId", d.session}, {"lastSeq", d.seen.last + 1000000}}, id));
  const json e = require_error(rpc->wait_for_id(id, ctx.deadline()), -32602, id,
                               "session.resume with lastSeq ahead of the session");
  require(e.contains("data") && e["data"].value("field", "") == "lastSeq",
          "data {\"field\":\"lastSeq\"}", show(e));
  return pass();
}

Outcome own_session(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const std::string session = ctx.authenticate(*rpc).value("sessionId", "");
  const json id = 1;
  rpc->send(make_request("session.resume", {{"sessionId", session}, {"lastSeq", 0}}, id));
  const json e = require_error(rpc->wait_for_id(id, ctx.deadline()), -32602, id,
                               "session.resume of the connection's own session");
  require(e.contains("data") && e["data"].value("field", "") == "sessionId",
          "data {\"field\":\"sessionId\"}", show(e));
  return pass();
}

Outcome expired(CaseContext& ctx) {
  const std::int64_t grace = ctx.capabilities().value("resumeGraceMs", std::int64_t{30000});
  Dropped d = subscribe_emit_drop(ctx, 2);
  ClockGuard clock(ctx);
  if (!clock.set(grace + 5000)) unimplemented_case("test.setClock is not available");
  // Grace periods are checked at least once per second (7.1).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto rpc = ctx.connect_authenticated();
  const json id = 1;
  rpc->send(
      make_request("session.resume", {{"sessionId", d.session}, {"lastSeq", d.seen.last}}, id));
  require_error(rpc->wait_for_id(id, ctx.deadline()), -32007, id,
                "session.resume after the grace period (clock moved past resumeGraceMs)");
  return pass();
}

Outcome takeover(CaseContext& ctx) {
  auto a = ctx.connect();
  const std::string session = ctx.authenticate(*a).value("sessionId", "");
  auto b = ctx.connect_authenticated();
  const json r = ctx.call_result(*b, "session.resume", {{"sessionId", session}, {"lastSeq", 0}});
  require(r.value("resumed", false) == true, "{\"resumed\":true,...}", show(r));
  const Incoming end = a->wait_for([](const json&) { return false; }, ctx.deadline());
  require_close(end, 1008, "the connection that held the resumed session");
  return pass();
}

}  // namespace

void add_resume_cases(Catalog& c) {
  c.add({"7.3/1", Tier::Must, Group::Resume,
         "After the resume response the sidecar MUST send every notification after lastSeq with "
         "its original seq and content, in order.",
         replay});
  c.add(
      {"7.3/2", Tier::Must, Group::Resume,
       "The resumed session becomes the connection's: its subscriptions and seq counter continue.",
       resumed_continues});
  c.add({"7.4/1", Tier::Must, Group::Resume, "An unknown sessionId MUST get -32007.",
         unknown_session});
  c.add({"7.4/2", Tier::Must, Group::Resume,
         "A session whose grace period has passed (sidecar clock) MUST get -32007.", expired});
  c.add({"7.4/3", Tier::Must, Group::Resume,
         "A lastSeq greater than the session's last seq MUST get -32602 with data "
         "{\"field\":\"lastSeq\"}.",
         ahead_of_session});
  c.add({"7.4/4", Tier::Must, Group::Resume,
         "A sessionId equal to the connection's current session MUST get -32602 with data "
         "{\"field\":\"sessionId\"}.",
         own_session});
  c.add({"7.5/1", Tier::Must, Group::Resume,
         "Resuming a session still attached elsewhere MUST close that connection with 1008.",
         takeover});
}

}  // namespace flake::conform
