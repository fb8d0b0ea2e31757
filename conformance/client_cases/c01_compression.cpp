// §1.7 (client): compressed messages from a sidecar that agreed to permessage-deflate.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

namespace flake::conform::client {

using namespace std::chrono_literals;

void add_c1_compression_cases(Catalog& c, const ClientSetup& setup) {
  // §1.7: "Client: a client that offers permessage-deflate MUST accept compressed messages from
  // a sidecar that agreed to it, in every frame layout RFC 7692 allows."
  c.add({.id = "C1.7/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "a client that offered permessage-deflate accepts compressed messages, "
                        "in fragments too, mixed with uncompressed ones",
         .rules = {"1.7c"},
         .budget = setup.timeout + 7s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.deflate = true;
           // Each message compressed (context taken over from the previous ones), the auth result
           // also in three fragments (RSV1 on the first only), and every fourth message sent
           // uncompressed, which RFC 7692 leaves to the sender message by message.
           script.shape = [](int, std::size_t nth) {
             peer::SendShape s;
             if (nth == 0) s.fragments = 3;
             s.compress = nth % 4 != 3;
             return s;
           };
           cc.start(std::move(script));
           const auto upgraded = [&] {
             for (const auto& e : cc.wire()) {
               if (e.kind == peer::EventKind::Upgraded) return true;
             }
             return false;
           };
           if (!cc.wait_until(upgraded, cc.timeout())) {
             return fail("a WebSocket upgrade request",
                         "none within " + std::to_string(cc.timeout().count()) + " ms");
           }
           bool agreed = false;
           for (const auto& e : cc.wire()) {
             if (e.kind == peer::EventKind::Upgraded &&
                 e.text.find("permessage-deflate") != std::string::npos) {
               agreed = true;
             }
           }
           if (!agreed) return skipped("the client did not offer permessage-deflate");
           require_loop(cc);
           require_exports_verified(cc);
           return pass();
         })});
}

}  // namespace flake::conform::client
