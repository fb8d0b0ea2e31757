// §7.6: keepalive pings.

#include <functional>
#include <string_view>
#include <vector>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"

namespace flake::conform {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPingBound{30000};

// Reads the connection (answering pings or not, as the client is set up) until `pings` pings have
// arrived, the connection ends, or a ping is overdue: each must come within 30,000 ms (+ slack) of
// the previous one or of `opened`. With `until_third_ping`, the watch also ends where a third ping
// would be due, one measured interval after the second: the moment §7.6 says an unanswered
// connection is closed instead.
struct PingWatch {
  std::vector<Clock::time_point> pings;
  Incoming end;          // Close/Eof/Error when the connection ended; Timeout otherwise
  bool overdue = false;  // a ping did not come in time
};

PingWatch watch_pings(CaseContext& ctx, RpcClient& rpc, std::size_t pings, Clock::time_point opened,
                      bool until_third_ping = false, const std::function<void()>& on_ping = {}) {
  PingWatch w;
  std::size_t seen = rpc.ws().pings_received();
  auto due = [&] {
    if (until_third_ping && w.pings.size() >= 2) {
      const auto interval = std::min<Clock::duration>(w.pings[1] - w.pings[0], kPingBound);
      return w.pings.back() + interval + kSlack;
    }
    return (w.pings.empty() ? opened : w.pings.back()) + kPingBound + kSlack;
  };
  while (w.pings.size() < pings) {
    const Deadline limit = std::min(due(), ctx.deadline_after(kPingBound + kSlack));
    if (Clock::now() >= limit) {
      w.overdue = !(until_third_ping && w.pings.size() >= 2);
      return w;
    }
    const Incoming in = rpc.receive(std::min(limit, deadline_in(milliseconds(50))));
    while (rpc.ws().pings_received() > seen) {
      ++seen;
      w.pings.push_back(Clock::now());
      if (on_ping) on_ping();
    }
    if (in.kind == Incoming::Kind::Close || in.kind == Incoming::Kind::Eof ||
        in.kind == Incoming::Kind::Error) {
      w.end = in;
      return w;
    }
  }
  return w;
}

void require_pings_on_time(const PingWatch& w, Clock::time_point opened) {
  require(!w.overdue, "a ping within 30,000 ms of the upgrade and of each previous ping",
          w.pings.empty() ? "no ping " + std::to_string(ms_between(opened, Clock::now())) +
                                " ms after the upgrade"
                          : "none for " + std::to_string(ms_between(w.pings.back(), Clock::now())) +
                                " ms after ping " + std::to_string(w.pings.size()));
}

// A connection that reads but never answers pings, until the sidecar ends it or a third ping is
// due.
struct Unanswered {
  std::string session;
  PingWatch watch;
  Clock::time_point opened;
};

Unanswered ignore_pings(CaseContext& ctx) {
  ConnectOptions options = ctx.options();
  options.auto_pong = false;
  auto rpc = ctx.connect(options);
  Unanswered u;
  u.session = ctx.authenticate(*rpc).value("sessionId", "");
  u.opened = Clock::now();
  u.watch = watch_pings(ctx, *rpc, 100, u.opened, true);
  return u;
}

void require_ping_timeout_close(const Unanswered& u) {
  const auto& w = u.watch;
  require_pings_on_time(w, u.opened);
  require(w.end.kind != Incoming::Kind::Timeout,
          "close 1008 where the third ping would be due (two pings left unanswered)",
          "still open one interval after the second unanswered ping");
  require_close(w.end, 1008, "a connection that leaves its pings unanswered");
  require(w.pings.size() >= 2, "the close only after two unanswered pings, not before",
          "closed after " + std::to_string(w.pings.size()) + " ping(s)");
}

Outcome any_pong_counts(CaseContext& ctx, std::string_view payload) {
  ConnectOptions options = ctx.options();
  options.auto_pong = false;
  auto rpc = ctx.connect(options);
  ctx.authenticate(*rpc);
  const auto opened = Clock::now();
  // Every ping gets a pong whose payload is not the ping's.
  const PingWatch w = watch_pings(ctx, *rpc, 4, opened, false, [&] {
    rpc->ws().send_raw(encode_client_frame(Opcode::Pong, payload));
  });
  require(w.end.kind == Incoming::Kind::Timeout,
          "the connection stays open while every ping gets a pong with payload \"" +
              std::string(payload) + "\"",
          w.end.describe() + " after " + std::to_string(w.pings.size()) + " pings");
  require_pings_on_time(w, opened);
  return pass();
}

// Reads until `count` more pings have come, each within `interval` (+ slack) of the one before,
// the first counted from `last`; the case fails on a late ping, naming `when`.
Clock::time_point require_next_pings(RpcClient& rpc, int count, Clock::time_point last,
                                     Clock::duration interval, const std::string& when) {
  std::size_t seen = rpc.ws().pings_received();
  for (int k = 0; k < count; ++k) {
    const Deadline due = last + interval + kSlack;
    while (rpc.ws().pings_received() == seen) {
      require(Clock::now() < due,
              "a ping within " +
                  std::to_string(ms_between(Clock::time_point{}, Clock::time_point{} + interval)) +
                  " ms (+ slack) of the previous one " + when,
              "none for " + std::to_string(ms_between(last, Clock::now())) + " ms");
      const Incoming in = rpc.receive(std::min(due, deadline_in(milliseconds(50))));
      require(in.kind == Incoming::Kind::Timeout || in.kind == Incoming::Kind::Value,
              "the connection stays open while it answers pings", in.describe());
    }
    seen = rpc.ws().pings_received();
    last = Clock::now();
  }
  return last;
}

}  // namespace

void add_s7_keepalive_cases(Catalog& c) {
  c.add({.id = "7.6/1",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST send a WebSocket ping at most 30,000 ms after the "
                        "upgrade and then at most every 30,000 ms.",
         .rules = {"7.6a"},
         .budget = 2 * (kPingBound + kSlack) + milliseconds(5000),
         .timing = true,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const auto opened = Clock::now();
           const PingWatch w = watch_pings(ctx, *rpc, 2, opened);
           require(w.end.kind == Incoming::Kind::Timeout,
                   "the connection stays open while it answers pings", w.end.describe());
           require_pings_on_time(w, opened);
           return pass("pings " + std::to_string(ms_between(w.pings[0], w.pings[1])) + " ms apart");
         }});
  c.add({.id = "7.6/2",
         .tier = Tier::Must,
         .requirement = "When two pings are left unanswered the sidecar MUST close with 1008 "
                        "instead of the next ping; not before.",
         .rules = {"7.6b", "8.6b"},
         .budget = 3 * kPingBound + 2 * kSlack + milliseconds(5000),
         .timing = true,
         .run = [](CaseContext& ctx) {
           const Unanswered u = ignore_pings(ctx);
           require_ping_timeout_close(u);
           return pass("closed 1008 after " + std::to_string(u.watch.pings.size()) +
                       " unanswered pings");
         }});
  c.add({.id = "7.6/3",
         .tier = Tier::Must,
         .requirement = "A pong with any payload MUST count as an answer: one with a payload other "
                        "than the ping's.",
         .rules = {"7.6c"},
         .budget = 4 * (kPingBound + kSlack) + milliseconds(5000),
         .timing = true,
         .run = [](CaseContext& ctx) { return any_pong_counts(ctx, "any payload"); }});
  c.add({.id = "7.6/4",
         .tier = Tier::Must,
         .requirement =
             "The session of a connection closed for a ping timeout MUST be kept for resumption.",
         .rules = {"7.6d", "7.6b"},
         .budget = 3 * kPingBound + 2 * kSlack + milliseconds(10000),
         .timing = true,
         .run = [](CaseContext& ctx) {
           const Unanswered u = ignore_pings(ctx);
           require_ping_timeout_close(u);
           auto rpc = ctx.connect_authenticated();
           const json r =
               ctx.call_result(*rpc, "session.resume", {{"sessionId", u.session}, {"lastSeq", 0}});
           require(r.value("resumed", false) == true,
                   "the session closed for a ping timeout resumes", show(r));
           return pass();
         }});
  c.add(
      {.id = "7.6/5",
       .tier = Tier::Must,
       .requirement = "A pong with any payload MUST count as an answer: one with an empty payload.",
       .rules = {"7.6c"},
       .budget = 4 * (kPingBound + kSlack) + milliseconds(5000),
       .timing = true,
       .run = [](CaseContext& ctx) { return any_pong_counts(ctx, ""); }});
  c.add({.id = "7.6/6",
         .tier = Tier::Must,
         .requirement = "Ping timing MUST NOT follow test.setClock: with the sidecar clock a day "
                        "back, then a day ahead, pings keep the interval measured before.",
         .rules = {"7.6e", "11.5e"},
         .budget = 6 * (kPingBound + kSlack) + milliseconds(5000),
         .timing = true,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect_authenticated();
           const auto opened = Clock::now();
           const PingWatch w = watch_pings(ctx, *rpc, 2, opened);
           require(w.end.kind == Incoming::Kind::Timeout,
                   "the connection stays open while it answers pings", w.end.describe());
           require_pings_on_time(w, opened);
           const Clock::duration interval = w.pings[1] - w.pings[0];
           ClockGuard clock(ctx);
           if (!clock.set(-86'400'000)) unimplemented_case("test.setClock is not available");
           Clock::time_point last =
               require_next_pings(*rpc, 1, w.pings[1], interval, "with the clock a day back");
           if (!clock.set(86'400'000)) unimplemented_case("test.setClock is not available");
           const std::size_t before = rpc->ws().pings_received();
           last = require_next_pings(*rpc, 1, last, interval, "with the clock a day ahead");
           // Not faster either: one interval after that ping holds at most one more.
           const Deadline window = last + interval - kSlack / 3;
           while (Clock::now() < window) {
             const Incoming in = rpc->receive(std::min(window, deadline_in(milliseconds(50))));
             require(in.kind == Incoming::Kind::Timeout || in.kind == Incoming::Kind::Value,
                     "the connection stays open while it answers pings", in.describe());
           }
           const std::size_t pings = rpc->ws().pings_received() - before;
           require(
               pings <= 2, "pings at the measured interval with the clock a day ahead",
               std::to_string(pings) + " pings within " +
                   std::to_string(ms_between(Clock::time_point{}, Clock::time_point{} + interval)) +
                   " ms");
           return pass(
               "interval " +
               std::to_string(ms_between(Clock::time_point{}, Clock::time_point{} + interval)) +
               " ms");
         }});
}

}  // namespace flake::conform
