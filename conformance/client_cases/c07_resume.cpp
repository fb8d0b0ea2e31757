// §7.4 and §7.6 (client): subscribing again after -32007; answering pings with their payload.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

#include <random>

namespace flake::conform::client {

using namespace std::chrono_literals;

void add_c7_resume_cases(Catalog& c, const ClientSetup& setup) {
  // §7.4: "Client: after -32007, a client MUST refetch state and subscribe again on its current
  // session: every subscription it held, with the same parameters, before any further call to the
  // services those subscriptions are about."
  c.add({.id = "C7.4/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "after session.resume gets -32007 the client subscribes again with the "
                        "same parameters before any further call to the service",
         .rules = {"7.4i"},
         .budget = setup.timeout + 7s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.after_notification = [](int conn, std::int64_t seq) {
             peer::Fault f;
             if (conn == 1 && seq == 3) f.kind = peer::Fault::Kind::TcpClose;
             return f;
           };
           script.answer = [](const peer::Request& r) -> std::optional<peer::Answer> {
             if (r.method != "session.resume") return std::nullopt;
             return peer::Answer{peer::error_body(-32007, "Session expired"), false};
           };
           cc.start(std::move(script));
           const std::string s_prefix = std::string(kServiceS) + ".";
           // Done when, after the -32007, both subscriptions came again or an S call came first.
           const auto settled = [&] {
             bool after = false;
             int subs = 0;
             for (const auto& r : requests(cc.wire())) {
               if (r.method == "session.resume") after = true;
               if (!after) continue;
               if (r.method == "logs.subscribe" || r.method == "metrics.subscribe") ++subs;
               if (r.method.starts_with(s_prefix)) return true;
             }
             return subs >= 2;
           };
           cc.wait_until(settled, cc.timeout() + 1000ms);
           const auto reqs = requests(cc.wire());
           std::vector<SeenRequest> before;
           std::optional<SeenRequest> resume;
           std::vector<SeenRequest> after;
           for (const auto& r : reqs) {
             if (!resume && r.method == "session.resume") {
               resume = r;
             } else if (!resume) {
               before.push_back(r);
             } else if (r.conn == resume->conn) {
               after.push_back(r);
             }
           }
           if (!resume) {
             return fail("session.resume after the connection ended",
                         "requests: " + describe_requests(reqs, cc.started(), 12));
           }
           // What the client held before: its subscriptions with their parameters.
           std::vector<SeenRequest> held;
           for (const auto& r : before) {
             if (r.method.ends_with(".subscribe")) held.push_back(r);
           }
           for (const auto& h : held) {
             bool again = false;
             for (const auto& r : after) {
               if (r.method.starts_with(s_prefix)) {
                 return fail(
                     h.method + " " + h.params.dump() + " again before any " + s_prefix + "* call",
                     r.method + " came first (after the -32007: " +
                         describe_requests(after, cc.started(), 8) + ")");
               }
               if (r.method == h.method && r.params == h.params) {
                 again = true;
                 break;
               }
             }
             if (!again) {
               return fail(h.method + " " + h.params.dump() + " again after -32007",
                           "after the -32007: " + describe_requests(after, cc.started(), 8));
             }
           }
           if (held.empty()) return fail("subscriptions before the disconnect", "none");
           // The driver may write its line after the client sent the subscriptions.
           const auto reported = [&] {
             for (const auto& e : named(cc.events(), "resume_failed")) {
               if (e.parsed.event["code"] == -32007) return true;
             }
             return false;
           };
           if (!cc.wait_until(reported, 1000ms)) {
             return fail("a resume_failed event with code -32007",
                         describe_events(named(cc.events(), "resume_failed")));
           }
           return pass();
         })});

  // §7.6: "Client: a client MUST answer every ping with a pong that carries the ping's payload
  // (RFC 6455 §5.5.2), within 1,000 ms."
  c.add({.id = "C7.6/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "three pings with distinct payloads are each answered within 1000 ms by "
                        "a pong with the same payload",
         .rules = {"7.6f"},
         .budget = setup.timeout + 7s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(peer::PeerScript{});
           require_loop(cc);
           const int conn = cc.peer().open_connection();
           std::mt19937 rng{std::random_device{}()};
           std::vector<std::pair<std::string, Clock::time_point>> pings;
           for (int i = 1; i <= 3; ++i) {
             const std::string payload =
                 "flake-ping-" + std::to_string(i) + "-" + std::to_string(rng() % 1000000);
             const auto at = Clock::now();
             if (!cc.peer().ping(conn, payload)) {
               return fail("an open connection to ping", "#" + std::to_string(conn) + " closed");
             }
             pings.emplace_back(payload, at);
             const auto answered = [&] {
               for (const auto& e : cc.wire()) {
                 if (e.kind == peer::EventKind::PongIn && e.conn == conn && e.payload == payload) {
                   return true;
                 }
               }
               return false;
             };
             cc.wait_until(answered, 1200ms);
           }
           const auto wire = cc.wire();
           for (const auto& [payload, at] : pings) {
             std::optional<Clock::time_point> pong;
             std::vector<std::string> others;
             for (const auto& e : wire) {
               if (e.kind != peer::EventKind::PongIn || e.conn != conn || e.at < at) continue;
               if (e.payload == payload) {
                 pong = e.at;
                 break;
               }
               others.push_back("\"" + WireLog::summarize_text(e.payload, 40) + "\"");
             }
             if (!pong || ms(at, *pong) > 1000) {
               std::string got = pong ? "the pong came after " + fmt_ms(ms(at, *pong))
                                      : "no pong with that payload";
               if (!others.empty()) got += "; pongs with payload " + others.front();
               return fail("a pong with payload \"" + payload + "\" within 1000 ms", got);
             }
           }
           return pass();
         })});
}

}  // namespace flake::conform::client
