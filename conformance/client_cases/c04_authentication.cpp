// §4.6 (client): unknown members of the auth result are ignored; clientInfo is sent.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

namespace flake::conform::client {

using namespace std::chrono_literals;

void add_c4_authentication_cases(Catalog& c, const ClientSetup& setup) {
  // §4.6: "Clients MUST ignore members of the result that they do not know." (A sidecar MAY add
  // members to the result and to capabilities.)
  c.add({.id = "C4.6/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "an auth result and capabilities with unknown members are accepted",
         .rules = {"4.6g"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.rewrite = [](json& m, const peer::Request* r) {
             if (r == nullptr || r->method != "auth.authenticate" || !m.contains("result")) return;
             m["result"]["x-region"] = "eu-west";
             m["result"]["x-limits"] = {{"future", true}, {"list", {1, 2, 3}}};
             m["result"]["capabilities"]["x-streaming"] = {{"v", 2}};
           };
           cc.start(std::move(script));
           require_loop(cc);
           return pass();
         })});

  // §4.6: "Client: a client SHOULD send clientInfo." (an object; version and platform strings)
  c.add({.id = "C4.6/2",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "auth.authenticate carries clientInfo, an object",
         .rules = {"4.6h"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(peer::PeerScript{});
           const auto auth = [&]() -> std::optional<SeenRequest> {
             for (const auto& r : requests(cc.wire())) {
               if (r.method == "auth.authenticate") return r;
             }
             return std::nullopt;
           };
           if (!cc.wait_until([&] { return auth().has_value(); }, cc.timeout())) {
             return fail("an auth.authenticate request",
                         "none within " + std::to_string(cc.timeout().count()) + " ms");
           }
           const json params = auth()->params;
           if (!params.is_object() || !params.contains("clientInfo")) {
             return fail("params with clientInfo", params.dump());
           }
           const json& info = params["clientInfo"];
           if (!info.is_object()) return fail("clientInfo an object", info.dump());
           for (const char* k : {"version", "platform"}) {
             if (info.contains(k) && !info[k].is_string())
               return fail("clientInfo version and platform, where present, strings (§4.6)",
                           info.dump());
           }
           return pass();
         })});
}

}  // namespace flake::conform::client
