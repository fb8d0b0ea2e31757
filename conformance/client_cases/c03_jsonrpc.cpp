// §3.3 and §3.4 (client): request ids that survive an echo, batch answers matched by id.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

namespace flake::conform::client {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1

bool safe_id(const json& id) {
  if (id.is_string()) return true;
  if (id.is_number_unsigned()) return id.get<std::uint64_t>() <= kMaxSafeInteger;
  if (id.is_number_integer()) {
    const std::int64_t v = id.get<std::int64_t>();
    return v >= -kMaxSafeInteger && v <= kMaxSafeInteger;
  }
  return false;
}

// The first `call` event of each of the batch's three methods (step 4 ends before step 6).
std::optional<json> first_call(const std::vector<DriverEvent>& calls, const std::string& method) {
  for (const auto& e : calls) {
    if (e.parsed.event.value("method", "") == method) return e.parsed.event;
  }
  return std::nullopt;
}

std::string describe(const std::optional<json>& call) {
  if (!call) return "no call event";
  std::string out = call->value("outcome", "?");
  if (call->contains("code")) out += " " + (*call)["code"].dump();
  return out;
}

}  // namespace

void add_c3_jsonrpc_cases(Catalog& c, const ClientSetup& setup) {
  // §3.3: "Client: a client SHOULD use string ids or integer ids within ±(2^53−1). Other numbers
  // may lose precision when echoed."
  c.add({.id = "C3.3/1",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "every request id is a string or an integer within ±(2^53−1)",
         .rules = {"3.3d"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(peer::PeerScript{});
           require_loop(cc);
           const auto reqs = requests(cc.wire());
           for (const auto& r : reqs) {
             if (!safe_id(r.id)) {
               return fail("string ids or integers within ±(2^53−1)",
                           r.method + " on #" + std::to_string(r.conn) + " has id " + r.id.dump());
             }
           }
           return pass();
         })});

  // §3.4: "Client: a client MUST match batch responses to requests by id."
  c.add({.id = "C3.4/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "batch answers in reverse order are matched to their requests by id",
         .rules = {"3.4f"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           const std::string s_method = std::string(kServiceS) + ".getDashboard";
           const std::string t_method = std::string(kServiceT) + ".getDashboard";
           peer::PeerScript script;
           script.reverse_batch = true;
           script.answer = [t_method](const peer::Request& r) -> std::optional<peer::Answer> {
             if (!r.in_batch || r.method != t_method) return std::nullopt;
             return peer::Answer{peer::error_body(-32003, "Service unavailable",
                                                  {{"service", kServiceT}, {"retryAfterMs", 1}}),
                                 false};
           };
           cc.start(std::move(script));
           const auto batch_done = [&] {
             const auto calls = named(cc.events(), "call");
             return first_call(calls, "system.ping") && first_call(calls, s_method) &&
                    first_call(calls, t_method);
           };
           cc.wait_until(batch_done, cc.timeout());
           bool batch_seen = false;
           for (const auto& e : cc.wire()) {
             if (e.kind == peer::EventKind::MessageIn && e.message.is_array() &&
                 e.message.size() == 3) {
               batch_seen = true;
             }
           }
           if (!batch_seen) {
             return fail("a batch of three requests (§13.3 step 4)",
                         describe_requests(requests(cc.wire()), cc.started(), 8));
           }
           const auto calls = named(cc.events(), "call");
           const auto ping = first_call(calls, "system.ping");
           const auto s = first_call(calls, s_method);
           const auto t = first_call(calls, t_method);
           const bool ok = ping && s && t && describe(ping) == "result" &&
                           describe(s) == "result" && describe(t) == "error -32003";
           if (!ok) {
             return fail(
                 "system.ping result, " + s_method + " result, " + t_method + " error -32003",
                 "system.ping " + describe(ping) + ", " + s_method + " " + describe(s) + ", " +
                     t_method + " " + describe(t));
           }
           return pass();
         })});
  // §3.9: "message is a short human-readable text. Clients MUST NOT depend on its wording."
  c.add(
      {.id = "C3.9/1",
       .tier = Tier::Must,
       .group = Group::Client,
       .requirement = "errors whose messages name other errors (or are empty) are reported by "
                      "their code",
       .rules = {"3.9b"},
       .budget = setup.timeout + 5s,
       .run = client_run(setup, [](ClientCase& cc) {
         const std::string s_method = std::string(kServiceS) + ".getDashboard";
         const std::string t_method = std::string(kServiceT) + ".getDashboard";
         // S: -32004 worded as other errors; T: -32602 worded as another error, or empty.
         peer::PeerScript script;
         script.answer = [s_method,
                          t_method](const peer::Request& r) -> std::optional<peer::Answer> {
           if (r.method == s_method) {
             return peer::Answer{
                 peer::error_body(-32004, r.nth % 2 != 0 ? "Internal error" : "Service unavailable",
                                  {{"resource", "path:/dashboard"}}),
                 false};
           }
           if (r.method == t_method) {
             return peer::Answer{peer::error_body(-32602, r.nth % 2 != 0 ? "Method not found" : "",
                                                  {{"field", "params"}}),
                                 false};
           }
           return std::nullopt;
         };
         cc.start(std::move(script));
         const auto calls_of = [&](const std::string& method) {
           std::vector<json> out;
           for (const auto& e : named(cc.events(), "call")) {
             if (e.parsed.event.value("method", "") == method) out.push_back(e.parsed.event);
           }
           return out;
         };
         cc.wait_until(
             [&] { return calls_of(s_method).size() >= 2 && calls_of(t_method).size() >= 2; },
             cc.timeout());
         const std::pair<std::string, int> want[] = {{s_method, -32004}, {t_method, -32602}};
         for (const auto& [method, code] : want) {
           const auto calls = calls_of(method);
           if (calls.size() < 2) {
             return fail("two call events for " + method,
                         std::to_string(calls.size()) + "; requests: " +
                             describe_requests(requests(cc.wire()), cc.started(), 8));
           }
           for (std::size_t i = 0; i < 2; ++i) {
             const std::optional<json> call = calls[i];
             if (describe(call) != "error " + std::to_string(code)) {
               return fail(
                   method + " call " + std::to_string(i + 1) + ": error " + std::to_string(code),
                   describe(call));
             }
           }
         }
         return pass();
       })});
}

}  // namespace flake::conform::client
