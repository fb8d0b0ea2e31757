// §6.1, §6.4 and §6.2 (client): unknown members in notifications and entries are ignored; a seq
// jump leads to a resume on a new connection.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

#include <set>

namespace flake::conform::client {
namespace {

using namespace std::chrono_literals;

// The seqs of the logs.update / metrics.update notifications the peer sent.
std::set<std::int64_t> seqs_sent(const std::vector<peer::PeerEvent>& wire) {
  std::set<std::int64_t> out;
  for (const auto& e : wire) {
    if (e.kind != peer::EventKind::Sent || !e.message.is_object()) continue;
    const std::string method = e.message.value("method", "");
    if (method != "logs.update" && method != "metrics.update") continue;
    out.insert(e.message["params"].value("seq", std::int64_t{0}));
  }
  return out;
}

std::set<std::int64_t> seqs_reported(const std::vector<DriverEvent>& events) {
  std::set<std::int64_t> out;
  for (const auto& e : named(events, "notification"))
    out.insert(e.parsed.event["seq"].get<std::int64_t>());
  return out;
}

std::string list(const std::set<std::int64_t>& s) {
  std::string out;
  for (const auto v : s) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out.empty() ? "none" : out;
}

// Runs the default workload with `rewrite` and requires a notification event for every seq sent.
Outcome every_notification_reported(ClientCase& cc,
                                    std::function<void(json&, const peer::Request*)> rewrite) {
  peer::PeerScript script;
  script.rewrite = std::move(rewrite);
  cc.start(std::move(script));
  const auto all_reported = [&] {
    const auto sent = seqs_sent(cc.wire());
    const auto seen = seqs_reported(cc.events());
    return sent.size() >= 3 && std::includes(seen.begin(), seen.end(), sent.begin(), sent.end());
  };
  if (cc.wait_until(all_reported, cc.timeout())) return pass();
  const auto sent = seqs_sent(cc.wire());
  if (sent.size() < 3) {
    return fail("the client to subscribe (so that notifications are sent)",
                "notifications sent for seq " + list(sent) +
                    "; requests: " + describe_requests(requests(cc.wire()), cc.started(), 8));
  }
  return fail("a notification event for seq " + list(sent),
              "notification events for seq " + list(seqs_reported(cc.events())));
}

}  // namespace

void add_c6_notifications_cases(Catalog& c, const ClientSetup& setup) {
  // §6.1: "Clients MUST ignore members of params that they do not know."
  c.add({.id = "C6.1/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "notifications whose params carry unknown members are delivered",
         .rules = {"6.1d"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           return every_notification_reported(cc, [](json& m, const peer::Request* r) {
             if (r != nullptr || !m.is_object() || !m.contains("params") ||
                 !m["params"].contains("seq")) {
               return;
             }
             m["params"]["x-shard"] = 7;
             m["params"]["x-trace"] = {{"id", "abc"}, {"sampled", true}};
           });
         })});

  // §6.4: "Clients MUST ignore entry members that they do not know."
  c.add({.id = "C6.4/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "logs.update whose entries carry unknown members is delivered",
         .rules = {"6.4c"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           return every_notification_reported(cc, [](json& m, const peer::Request* r) {
             if (r != nullptr || !m.is_object() || m.value("method", "") != "logs.update") return;
             for (json& entry : m["params"]["entries"]) {
               entry["x-region"] = "eu-west";
               entry["x-tags"] = {"a", "b"};
             }
           });
         })});

  // §6.2: "Client: a jump in seq means data was lost. A client that sees one SHOULD resume (§7.3)
  // on a new connection within 1,000 ms, with lastSeq the last seq before the jump."
  c.add({.id = "C6.2/1",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "after seq 1, 2, 3, 6 the client reports a gap and resumes with lastSeq 3 "
                        "on a new connection within 1000 ms",
         .rules = {"6.2g"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.initial_seqs = {1, 2, 3, 6};
           cc.start(std::move(script));
           const auto resume = [&]() -> std::optional<SeenRequest> {
             for (const auto& r : requests(cc.wire())) {
               if (r.method == "session.resume" && r.conn >= 2) return r;
             }
             return std::nullopt;
           };
           cc.wait_until([&] { return resume().has_value(); }, cc.timeout());
           const auto wire = cc.wire();
           std::optional<Clock::time_point> jump;
           for (const auto& e : wire) {
             if (e.kind == peer::EventKind::Sent && e.message.is_object() &&
                 e.message.contains("params") && e.message["params"].value("seq", 0) == 6) {
               jump = e.at;
             }
           }
           if (!jump) return fail("the client to subscribe (so that seq 6 is sent)", "it did not");
           if (!cc.wait_until([&] { return !named(cc.events(), "gap").empty(); }, 1000ms)) {
             return fail("a gap event", "none");
           }
           const std::string old_session = session_issued(wire, 1);
           const auto r = resume();
           if (!r) {
             return fail("session.resume on a new connection",
                         "requests: " + describe_requests(requests(wire), cc.started(), 12));
           }
           const json want = {{"sessionId", old_session}, {"lastSeq", 3}};
           if (!r->params.is_object() ||
               r->params.value("sessionId", json()) != want["sessionId"] ||
               r->params.value("lastSeq", json()) != want["lastSeq"]) {
             return fail("session.resume " + want.dump(), "session.resume " + r->params.dump());
           }
           const double delay = ms(*jump, r->at);
           if (delay > 1000 + 200) {
             return fail("the resume within 1000 ms (+200 ms slack) of the jump",
                         fmt_ms(delay) + " after seq 6 was sent");
           }
           return pass("resumed " + fmt_ms(delay) + " after the jump");
         })});
  // §6.2: "Client: if the notifications replayed after such a resume jump at the same place again,
  // the sidecar has lost them. The client SHOULD NOT resume again for that jump."
  c.add({.id = "C6.2/2",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "after seq 1, 2, 3, 6 and a resume whose replay is 6 again (4 and 5 lost), "
                        "the client does not resume a second time",
         .rules = {"6.2h"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.initial_seqs = {1, 2, 3, 6};
           script.replay_lost = {4, 5};
           cc.start(std::move(script));
           // When seq 6 was replayed on a connection after the first.
           const auto replayed = [&]() -> std::optional<Clock::time_point> {
             for (const auto& e : cc.wire()) {
               if (e.kind == peer::EventKind::Sent && e.conn >= 2 && e.message.is_object() &&
                   e.message.contains("params") && e.message["params"].is_object() &&
                   e.message["params"].value("seq", 0) == 6) {
                 return e.at;
               }
             }
             return std::nullopt;
           };
           cc.wait_until([&] { return replayed().has_value(); }, cc.timeout());
           const auto at = replayed();
           if (!at) {
             return fail("a session.resume after the jump (so that seq 6 is replayed)",
                         "requests: " + describe_requests(requests(cc.wire()), cc.started(), 12));
           }
           // §6.2g's window for a resume is 1000 ms; wait it out with slack.
           cc.sleep_for(std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          *at + 1500ms - Clock::now())));
           std::size_t resumes = 0;
           for (const auto& r : requests(cc.wire()))
             resumes += r.method == "session.resume" ? 1 : 0;
           if (resumes != 1) {
             return fail("one session.resume (none for the jump seen again in the replay)",
                         std::to_string(resumes) + " session.resume requests: " +
                             describe_requests(requests(cc.wire()), cc.started(), 12));
           }
           return pass();
         })});
}

}  // namespace flake::conform::client
