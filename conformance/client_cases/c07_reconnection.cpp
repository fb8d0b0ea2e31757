// §7.7 (client): reconnecting after an unexpected disconnect, the delays, giving up, 4401 and
// Retry-After.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

#include <cmath>

namespace flake::conform::client {
namespace {

using namespace std::chrono_literals;
using peer::Fault;
using peer::Refusal;

// The unexpected disconnect of these cases: on connection 1, during the call loop, right after the
// notification with seq 5 (seq 4 and 5 follow loop calls).
peer::PeerScript disconnect_after_seq5(Fault fault) {
  peer::PeerScript script;
  script.loop_notifications = 2;
  script.after_notification = [fault](int conn, std::int64_t seq) {
    return conn == 1 && seq == 5 ? fault : Fault{};
  };
  return script;
}

Fault fault_of(Fault::Kind kind, int code = 0) {
  Fault f;
  f.kind = kind;
  f.close_code = code;
  return f;
}

// Connection `conn` authenticated and then called session.resume with the session issued on
// connection 1 and lastSeq 5, and a loop call followed on it; nullopt when so, else what happened.
std::optional<Outcome> resumed_on(ClientCase& cc, int conn) {
  const auto done = [&] {
    bool resumed = false;
    for (const auto& r : requests(cc.wire())) {
      if (r.conn != conn) continue;
      if (r.method == "session.resume") resumed = true;
      if (resumed && is_loop_call(r)) return true;
    }
    return false;
  };
  cc.wait_until(done, cc.timeout());
  const auto wire = cc.wire();
  const std::string old = session_issued(wire, 1);
  std::vector<SeenRequest> on;
  for (const auto& r : requests(wire)) {
    if (r.conn == conn) on.push_back(r);
  }
  if (on.empty()) {
    return fail("requests on a new connection (#" + std::to_string(conn) + ")",
                connection_count(wire) < conn
                    ? "no connection #" + std::to_string(conn) + " was opened"
                    : std::string("none"));
  }
  const json want = {{"sessionId", old}, {"lastSeq", 5}};
  // Authentication, then the resume (§7.3: the fresh session first); other requests such as
  // system.ping may come before either.
  std::size_t i = 0;
  while (i < on.size() && on[i].method != "auth.authenticate") ++i;
  if (i == on.size()) {
    return fail("auth.authenticate on #" + std::to_string(conn),
                describe_requests(on, cc.started(), 6));
  }
  while (i < on.size() && on[i].method != "session.resume") ++i;
  if (i == on.size()) {
    return fail(
        "session.resume " + want.dump() + " after auth.authenticate on #" + std::to_string(conn),
        describe_requests(on, cc.started(), 6));
  }
  const json& p = on[i].params;
  if (!p.is_object() || p.value("sessionId", json()) != want["sessionId"] ||
      p.value("lastSeq", json()) != want["lastSeq"]) {
    return fail("session.resume " + want.dump(), "session.resume " + p.dump());
  }
  for (++i; i < on.size(); ++i) {
    if (is_loop_call(on[i])) return std::nullopt;
  }
  return fail(
      "the call loop to go on after the resume",
      "requests on #" + std::to_string(conn) + ": " + describe_requests(on, cc.started(), 8));
}

// The scenario of C7.7/5 and C7.7/6: five failed attempts of five kinds after the disconnect.
peer::PeerScript five_failed_attempts() {
  peer::PeerScript script = disconnect_after_seq5(fault_of(Fault::Kind::TcpClose));
  script.refusal = [](int conn) {
    Refusal r;
    switch (conn) {
      case 2:
        r.kind = Refusal::Kind::FinAtAccept;
        break;
      case 3:
        r.kind = Refusal::Kind::ResetAtAccept;
        break;
      case 4:
        r.kind = Refusal::Kind::Http503;
        break;
      case 5:
        r.kind = Refusal::Kind::UpgradeThenClose;
        break;
      case 6:
        r.kind = Refusal::Kind::UpgradeThenCloseCode;
        r.close_code = 4408;
        break;
      default:
        break;
    }
    return r;
  };
  return script;
}

// Waits until connection 6 (the fifth failed attempt) has been refused; fails the case if not.
Clock::time_point await_fifth_failure(ClientCase& cc) {
  const auto fifth = [&] { return ended_at(cc.wire(), 6).has_value(); };
  // 100 + 200 + 400 + 800 ms of delays (+20 %) after the workload.
  if (!cc.wait_until(fifth, cc.timeout() + 2000ms)) {
    const auto wire = cc.wire();
    std::string got = std::to_string(connection_count(wire)) + " connection(s)";
    if (const auto end1 = ended_at(wire, 1)) {
      for (int k = 2; k <= connection_count(wire); ++k) {
        if (const auto a = accepted_at(wire, k)) {
          got +=
              ", #" + std::to_string(k) + " at " + fmt_ms(ms(*end1, *a)) + " after the disconnect";
        }
      }
    } else {
      got += "; the disconnect after seq 5 never happened (the workload did not reach it)";
    }
    throw OutcomeError{fail("five reconnect attempts after the disconnect", got)};
  }
  return *ended_at(cc.wire(), 6);
}

}  // namespace

void add_c7_reconnection_cases(Catalog& c, const ClientSetup& setup) {
  // §7.7: "After reconnecting, a client SHOULD authenticate and call session.resume with the old
  // sessionId and the last seq it saw." (after an unexpected disconnect: "a close frame from the
  // sidecar with any code, or the TCP connection ending without one")
  struct Variant {
    const char* id;
    const char* how;
    Fault fault;
  };
  for (const Variant& v :
       {Variant{"C7.7/1", "the TCP connection closed without a close frame",
                fault_of(Fault::Kind::TcpClose)},
        Variant{"C7.7/2", "the TCP connection reset", fault_of(Fault::Kind::TcpReset)},
        Variant{"C7.7/3", "close 1001", fault_of(Fault::Kind::CloseFrame, 1001)},
        Variant{"C7.7/4", "close 1008", fault_of(Fault::Kind::CloseFrame, 1008)}}) {
    c.add({.id = v.id,
           .tier = Tier::Should,
           .group = Group::Client,
           .requirement = std::string("after ") + v.how +
                          " the client reconnects, authenticates, resumes its session with "
                          "lastSeq 5 and goes on",
           .rules = {"7.7c"},
           .budget = setup.timeout + 7s,
           .run = client_run(setup, [fault = v.fault](ClientCase& cc) {
             cc.start(disconnect_after_seq5(fault));
             require_loop(cc);
             if (auto failed = resumed_on(cc, 2)) return *failed;
             return pass();
           })});
  }

  // §7.7: "After an unexpected disconnect, a client SHOULD try to reconnect after delays of 1 s,
  // 2 s, 4 s, 8 s and 16 s, each varied randomly by up to ±20 %." and "The k-th delay is measured
  // from the end of the previous connection or failed attempt (when the client notices it) to the
  // start of the next attempt." (scaled by FLAKE_BACKOFF_BASE_MS/1000, §13.2)
  c.add({.id = "C7.7/5",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "after a disconnect, five failed attempts (FIN, RST, 503, 101 then close, "
                        "close 4408) start after delays of 1, 2, 4, 8, 16 times the base",
         .rules = {"7.7a"},
         .budget = setup.timeout + 10s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(five_failed_attempts());
           require_loop(cc);
           await_fifth_failure(cc);
           const auto wire = cc.wire();
           std::string measured;
           for (int k = 1; k <= 5; ++k) {
             const double d = kBaseMs * std::pow(2.0, k - 1);
             const double got = ms(*ended_at(wire, k), *accepted_at(wire, k + 1));
             measured += (k > 1 ? ", " : "") + fmt_ms(got);
             if (got < 0.8 * d - 30 || got > 1.2 * d + 200) {
               return fail("delay " + std::to_string(k) + " within [" + fmt_ms(0.8 * d - 30) +
                               ", " + fmt_ms(1.2 * d + 200) + "]",
                           fmt_ms(got) + " (delays so far: " + measured + ")");
             }
           }
           return pass("delays " + measured);
         })});

  // §7.7: "After 5 failed attempts in a row, a client SHOULD give up and report that it is
  // disconnected."
  c.add(
      {.id = "C7.7/6",
       .tier = Tier::Should,
       .group = Group::Client,
       .requirement = "after five failed attempts the client gives up: no sixth attempt within "
                      "twice the fifth delay, and a gave_up event",
       .rules = {"7.7b"},
       .budget = setup.timeout + 13s,
       .run = client_run(setup, [](ClientCase& cc) {
         cc.start(five_failed_attempts());
         require_loop(cc);
         const auto fifth = await_fifth_failure(cc);
         const auto quiet = std::chrono::milliseconds(2 * 16 * kBaseMs);
         cc.sleep_for(quiet -
                      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - fifth));
         const auto wire = cc.wire();
         if (const auto sixth = accepted_at(wire, 7); sixth && ms(fifth, *sixth) <= quiet.count()) {
           return fail("no sixth attempt within " + fmt_ms(static_cast<double>(quiet.count())),
                       "a sixth attempt " + fmt_ms(ms(fifth, *sixth)) + " after the fifth failed");
         }
         if (named(cc.events(), "gave_up").empty()) return fail("a gave_up event", "none");
         return pass();
       })});

  // §7.7: "After close code 4401 (§4.7), a client SHOULD NOT reconnect on its own: its token is
  // wrong."
  c.add({.id = "C7.7/7",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "after auth.authenticate got -32001 and close 4401 the client does not "
                        "reconnect within 2000 ms",
         .rules = {"7.7d"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.answer = [](const peer::Request& r) -> std::optional<peer::Answer> {
             if (r.method != "auth.authenticate") return std::nullopt;
             return peer::Answer{peer::error_body(-32001, "Unauthenticated"), false};
           };
           script.after_answer = [](const peer::Request& r) {
             return r.method == "auth.authenticate" ? fault_of(Fault::Kind::CloseFrame, 4401)
                                                    : Fault{};
           };
           cc.start(std::move(script));
           const auto closed = [&] {
             for (const auto& e : cc.wire()) {
               if (e.kind == peer::EventKind::CloseOut && e.code == 4401) return true;
             }
             return false;
           };
           if (!cc.wait_until(closed, cc.timeout())) {
             return fail("auth.authenticate (answered -32001, then close 4401)",
                         "requests: " + describe_requests(requests(cc.wire()), cc.started(), 6));
           }
           const auto at = *ended_at(cc.wire(), 1);
           cc.sleep_for(2000ms -
                        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - at));
           const auto wire = cc.wire();
           if (const auto next = accepted_at(wire, 2); next && ms(at, *next) <= 2000) {
             return fail("no new connection within 2000 ms of close 4401",
                         "a new connection " + fmt_ms(ms(at, *next)) + " after it");
           }
           return pass();
         })});

  // §7.7: "When an attempt is answered with HTTP 429 or 503 and a Retry-After header, the client
  // SHOULD NOT start the next attempt before that many seconds have passed, nor before its own
  // delay." (Retry-After is not scaled, §13.2)
  c.add({.id = "C7.7/8",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "after a 503 with Retry-After: 1 the next attempt waits at least 1000 ms, "
                        "then resumes",
         .rules = {"7.7e", "7.7c"},
         .budget = setup.timeout + 7s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script = disconnect_after_seq5(fault_of(Fault::Kind::TcpClose));
           script.refusal = [](int conn) {
             Refusal r;
             if (conn == 2) {
               r.kind = Refusal::Kind::Http503;
               r.retry_after_s = 1;
             }
             return r;
           };
           cc.start(std::move(script));
           require_loop(cc);
           const auto third = [&] { return accepted_at(cc.wire(), 3).has_value(); };
           if (!cc.wait_until(third, cc.timeout() + 1500ms)) {
             return fail("an attempt after the 503",
                         std::to_string(connection_count(cc.wire())) + " connection(s) in all");
           }
           const auto wire = cc.wire();
           const double waited = ms(*ended_at(wire, 2), *accepted_at(wire, 3));
           if (waited < 1000 - 20) {
             return fail("the next attempt at least 1000 ms (-20 ms) after the 503",
                         fmt_ms(waited) + " after it");
           }
           if (auto failed = resumed_on(cc, 3)) return *failed;
           return pass("next attempt " + fmt_ms(waited) + " after the 503");
         })});
}

}  // namespace flake::conform::client
