// §8.3 (client): retryAfterMs of -32002 is honoured.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

namespace flake::conform::client {

using namespace std::chrono_literals;

void add_c8_limits_cases(Catalog& c, const ClientSetup& setup) {
  // §8.3: "Client: after -32002 with retryAfterMs n, a client SHOULD NOT send its next request on
  // that connection before n ms have passed since the error arrived." (not scaled, §13.2)
  c.add(
      {.id = "C8.3/1",
       .tier = Tier::Should,
       .group = Group::Client,
       .requirement = "after a loop call got -32002 with retryAfterMs 800 the next request waits "
                      "800 ms",
       .rules = {"8.3e"},
       .budget = setup.timeout + 5s,
       .run = client_run(setup, [](ClientCase& cc) {
         const std::string s_method = std::string(kServiceS) + ".getDashboard";
         peer::PeerScript script;
         // The S call of the batch is the first; the second is the loop's first S call.
         script.answer = [s_method](const peer::Request& r) -> std::optional<peer::Answer> {
           if (r.method != s_method || r.in_batch || r.nth != 2) return std::nullopt;
           return peer::Answer{peer::error_body(-32002, "Rate limited", {{"retryAfterMs", 800}}),
                               false};
         };
         cc.start(std::move(script));
         const auto refused = [&]() -> std::optional<SeenRequest> {
           for (const auto& r : requests(cc.wire())) {
             if (r.method == s_method && !r.in_batch) return r;
           }
           return std::nullopt;
         };
         const auto next_after = [&](const SeenRequest& x) -> std::optional<SeenRequest> {
           bool seen = false;
           for (const auto& r : requests(cc.wire())) {
             if (r.conn != x.conn) continue;
             if (seen) return r;
             seen = r.id == x.id && r.method == x.method;
           }
           return std::nullopt;
         };
         cc.wait_until([&] { return refused() && next_after(*refused()); }, cc.timeout() + 1000ms);
         const auto r = refused();
         if (!r) {
           return fail("a loop call to answer with -32002",
                       describe_requests(requests(cc.wire()), cc.started(), 8));
         }
         const auto error_at = answered_at(cc.wire(), r->conn, r->id);
         const auto next = next_after(*r);
         if (!error_at || !next) {
           return fail("a request after the -32002 on #" + std::to_string(r->conn), "none arrived");
         }
         const double waited = ms(*error_at, next->at);
         if (waited < 800 - 20) {
           return fail("the next request at least 800 ms (-20 ms) after the -32002",
                       next->method + " " + fmt_ms(waited) + " after it");
         }
         return pass("next request " + fmt_ms(waited) + " after the -32002");
       })});
}

}  // namespace flake::conform::client
