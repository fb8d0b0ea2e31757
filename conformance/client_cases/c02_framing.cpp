// §2.5 (client): masking, fragmented messages with control frames between them, unsolicited pongs.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

namespace flake::conform::client {

using namespace std::chrono_literals;

void add_c2_framing_cases(Catalog& c, const ClientSetup& setup) {
  // §2.5: "Client: a client MUST mask every frame it sends (RFC 6455 §5.3)."
  c.add({.id = "C2.5/1",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "every frame the client sends is masked",
         .rules = {"2.5d"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           cc.start(peer::PeerScript{});
           reach_loop(cc, 2, cc.timeout());
           std::size_t frames = 0;
           std::size_t unmasked = 0;
           std::string first;
           for (const auto& e : cc.wire()) {
             if (e.kind != peer::EventKind::FrameIn) continue;
             ++frames;
             if (e.masked) continue;
             if (++unmasked == 1) {
               first = "opcode " + std::to_string(e.opcode) + " on #" + std::to_string(e.conn) +
                       " at " + fmt_ms(ms(cc.started(), e.at));
             }
           }
           if (frames == 0) return fail("frames from the client", "none arrived");
           if (unmasked > 0) {
             return fail("every frame masked", std::to_string(unmasked) + " of " +
                                                   std::to_string(frames) +
                                                   " frames unmasked, the first: " + first);
           }
           return pass();
         })});

  // §2.5: "Client: a client MUST accept fragmented messages from the sidecar, with control frames
  // between the fragments (RFC 6455 §5.4)."
  c.add({.id = "C2.5/2",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "the client accepts messages in three fragments with a ping between the "
                        "first two",
         .rules = {"2.5e"},
         .budget = setup.timeout + 7s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.shape = [](int, std::size_t) {
             peer::SendShape s;
             s.fragments = 3;
             s.ping_between = true;
             return s;
           };
           cc.start(std::move(script));
           require_loop(cc);
           require_exports_verified(cc);
           return pass();
         })});

  // §2.5: "Client: a client MUST accept an unsolicited pong and otherwise ignore it (RFC 6455
  // §5.5.3)."
  c.add({.id = "C2.5/3",
         .tier = Tier::Must,
         .group = Group::Client,
         .requirement = "the client accepts an unsolicited pong before every message and goes on",
         .rules = {"2.5f"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           peer::PeerScript script;
           script.shape = [](int, std::size_t) {
             peer::SendShape s;
             s.pong_before = true;
             return s;
           };
           cc.start(std::move(script));
           require_loop(cc);
           return pass();
         })});
}

}  // namespace flake::conform::client
