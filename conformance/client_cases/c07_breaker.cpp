// §7.8 and §7.9 (client): the per-service circuit breaker and the recovery target.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

#include <atomic>
#include <memory>

namespace flake::conform::client {
namespace {

using namespace std::chrono_literals;

const std::string kSDashboard = std::string(kServiceS) + ".getDashboard";

// The three failures of §7.8 in turn.
peer::Answer failure(int nth) {
  switch (nth % 3) {
    case 0:
      return {peer::error_body(-32003, "Service unavailable",
                               {{"service", kServiceS}, {"retryAfterMs", 1}}),
              false};
    case 1:
      return {peer::error_body(-32006, "Timeout", {{"timeoutMs", 1000}}), false};
    default:
      return {peer::error_body(-32603, "Internal error"), false};
  }
}

// S requests answered by `fails(nth)` (true: a failure); T and everything else by default.
peer::PeerScript s_answers(std::function<bool(int nth)> fails) {
  peer::PeerScript script;
  script.answer = [fails](const peer::Request& r) -> std::optional<peer::Answer> {
    if (r.method != kSDashboard || !fails(r.nth)) return std::nullopt;
    return failure(r.nth);
  };
  return script;
}

std::vector<SeenRequest> s_requests(ClientCase& cc) {
  return service_requests(requests(cc.wire()), kServiceS);
}

// When the peer answered the n-th S request (1-based), if it has.
std::optional<Clock::time_point> s_answered(ClientCase& cc, std::size_t n) {
  const auto s = s_requests(cc);
  if (s.size() < n) return std::nullopt;
  return answered_at(cc.wire(), s[n - 1].conn, s[n - 1].id);
}

std::size_t count_between(const std::vector<SeenRequest>& reqs, Clock::time_point from,
                          Clock::time_point to) {
  std::size_t n = 0;
  for (const auto& r : reqs) n += r.at > from && r.at <= to ? 1 : 0;
  return n;
}

bool breaker_event_after(const std::vector<DriverEvent>& events, Clock::time_point t) {
  for (const auto& e : named(events, "call")) {
    if (e.at >= t && e.parsed.event["method"] == kSDashboard &&
        e.parsed.event["outcome"] == "breaker") {
      return true;
    }
  }
  return false;
}

// Opening: five failed S calls, then the open period. Returns when the fifth failure was sent.
Clock::time_point await_open(ClientCase& cc) {
  if (!cc.wait_until([&] { return s_answered(cc, 5).has_value(); }, cc.timeout())) {
    const auto s = s_requests(cc);
    throw OutcomeError{fail("five failed " + kSDashboard + " calls reaching the sidecar",
                            std::to_string(s.size()) + " arrived; call events: " +
                                describe_calls(named(cc.events(), "call")))};
  }
  return *s_answered(cc, 5);
}

}  // namespace

void add_c7_breaker_cases(Catalog& c, const ClientSetup& setup) {
  c.explain({.rule = "7.8e",
             .why = Why::Untestable,
             .reason = "The driver of 13.3 makes one call at a time, so while a half-open trial call "
                       "is outstanding no other call to that service exists that the client could "
                       "send or fail locally; nothing a driver makes the client do shows the rule."});
  // §7.8: "A client SHOULD keep one circuit breaker per service." "The breaker SHOULD open after 5
  // consecutive failed calls to that service." "While the breaker is open, the client SHOULD fail
  // calls to that service locally, without sending them."
  c.add({.id = "C7.8/1",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "after 5 failed calls to S its breaker opens: S calls fail locally while "
                        "T calls go on",
         .rules = {"7.8a", "7.8b", "7.8c"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(s_answers([](int) { return true; }));
           const auto opened = await_open(cc);
           const auto window_end = opened + std::chrono::milliseconds(kBreakerOpenMs - 30);
           cc.sleep_for(
               std::chrono::duration_cast<std::chrono::milliseconds>(window_end - Clock::now()));
           const auto reqs = requests(cc.wire());
           const auto s = service_requests(reqs, kServiceS);
           const auto t = service_requests(reqs, kServiceT);
           if (const std::size_t early = count_between(s, opened, window_end); early > 0) {
             return fail("no " + kSDashboard + " request while the breaker is open (" +
                             std::to_string(kBreakerOpenMs) + " ms after the 5th failure)",
                         std::to_string(early) + " arrived, the first " +
                             fmt_ms(ms(opened, s[5].at)) + " after the 5th failure");
           }
           if (!breaker_event_after(cc.events(), opened)) {
             return fail("a call event with outcome breaker for " + kSDashboard,
                         describe_calls(named(cc.events(), "call")));
           }
           if (const std::size_t n = count_between(t, opened, window_end); n < 2) {
             return fail("T calls going on while S's breaker is open (>= 2)",
                         std::to_string(n) + " T request(s) in that time");
           }
           return pass();
         })});

  // §7.8: "30 s after opening, the breaker SHOULD go half-open and let one trial call through.
  // Success closes it and failure opens it for another 30 s." (30 s is FLAKE_BREAKER_OPEN_MS)
  c.add({.id = "C7.8/2",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "an open breaker lets one trial through after the open period; a failed "
                        "trial opens it again, a successful one closes it",
         .rules = {"7.8d"},
         .budget = setup.timeout + 7s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(s_answers([](int nth) { return nth <= 6; }));
           const auto opened = await_open(cc);
           const auto wait = std::chrono::milliseconds(2 * kBreakerOpenMs + 1500);
           cc.wait_until([&] { return s_requests(cc).size() >= 9; }, wait);
           const auto s = s_requests(cc);
           const double lo = kBreakerOpenMs - 30;
           const double hi = kBreakerOpenMs + 500;
           if (s.size() < 6) return fail("a trial call after the open period", "none arrived");
           const double first = ms(opened, s[5].at);
           if (first < lo || first > hi) {
             return fail("the first trial " + fmt_ms(lo) + " to " + fmt_ms(hi) + " after opening",
                         fmt_ms(first));
           }
           const auto failed_trial = answered_at(cc.wire(), s[5].conn, s[5].id);
           if (s.size() < 7 || !failed_trial) {
             return fail("a second trial after the failed one", "none arrived");
           }
           const double second = ms(*failed_trial, s[6].at);
           if (second < lo || second > hi) {
             return fail(
                 "the next trial " + fmt_ms(lo) + " to " + fmt_ms(hi) + " after the failed trial",
                 fmt_ms(second));
           }
           if (s.size() < 9) {
             return fail("S calls flowing after the successful trial (2 more)",
                         std::to_string(s.size() - 7) + " more");
           }
           return pass("trials " + fmt_ms(first) + " and " + fmt_ms(second) + " after opening");
         })});

  // §7.8: "A call that ends with a result resets the count; other errors leave it unchanged."
  c.add({.id = "C7.8/3",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "four failures then a result, repeated, never open the breaker",
         .rules = {"7.8b"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(s_answers([](int nth) { return nth % 5 != 0; }));
           cc.wait_until([&] { return s_requests(cc).size() >= 12; }, cc.timeout());
           const auto s = s_requests(cc);
           const auto calls = named(cc.events(), "call");
           for (const auto& e : calls) {
             if (e.parsed.event["outcome"] == "breaker") {
               return fail("no breaker outcome", describe_calls(calls, 20));
             }
           }
           if (s.size() < 12) {
             return fail("S requests going on (>= 12)", std::to_string(s.size()) + " arrived");
           }
           return pass();
         })});

  // §7.9: "A client SHOULD complete its first successful call less than 5 s after the sidecar is
  // reachable again." (scaled: 5 times FLAKE_BACKOFF_BASE_MS)
  c.add({.id = "C7.9/1",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "after close 1001 and an outage of one base delay, the first successful "
                        "call completes within five base delays",
         .rules = {"7.9a"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           // The outage: every attempt within one base delay of the close is reset.
           auto closed_at = std::make_shared<std::atomic<Clock::rep>>(0);
           peer::PeerScript script;
           script.loop_notifications = 2;
           script.after_notification = [closed_at](int conn, std::int64_t seq) {
             peer::Fault f;
             if (conn == 1 && seq == 5) {
               f.kind = peer::Fault::Kind::CloseFrame;
               f.close_code = 1001;
               closed_at->store(Clock::now().time_since_epoch().count());
             }
             return f;
           };
           script.refusal = [closed_at](int conn) {
             peer::Refusal r;
             const Clock::time_point at{Clock::duration(closed_at->load())};
             if (conn >= 2 && Clock::now() < at + std::chrono::milliseconds(kBaseMs)) {
               r.kind = peer::Refusal::Kind::ResetAtAccept;
             }
             return r;
           };
           cc.start(std::move(script));
           require_loop(cc);
           const auto recovered = [&]() -> std::optional<Clock::time_point> {
             const auto wire = cc.wire();
             for (const auto& r : requests(wire)) {
               if (r.conn < 2 || !is_loop_call(r)) continue;
               for (const auto& e : wire) {
                 if (e.kind == peer::EventKind::Sent && e.conn == r.conn && e.message.is_object() &&
                     e.message.value("id", json()) == r.id && e.message.contains("result")) {
                   return e.at;
                 }
               }
             }
             return std::nullopt;
           };
           cc.wait_until([&] { return recovered().has_value(); }, cc.timeout());
           if (closed_at->load() == 0) return fail("the close after seq 5", "it never happened");
           const Clock::time_point reachable =
               Clock::time_point{Clock::duration(closed_at->load())} +
               std::chrono::milliseconds(kBaseMs);
           const auto first = recovered();
           if (!first) {
             return fail("a successful call after the outage",
                         "requests: " + describe_requests(requests(cc.wire()), cc.started(), 12));
           }
           const double took = ms(reachable, *first);
           if (took >= 5 * kBaseMs) {
             return fail("the first successful call < " + fmt_ms(5 * kBaseMs) +
                             " after the sidecar was reachable",
                         fmt_ms(took));
           }
           return pass("first successful call " + fmt_ms(took) + " after the outage");
         })});
}

}  // namespace flake::conform::client
