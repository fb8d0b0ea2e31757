// §1: request admission (1.4), the WebSocket handshake (1.5), subprotocol (1.6) and compression
// (1.7).

#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/http_client.hpp"

namespace flake::conform {
using namespace rest;  // the shared REST helpers (rest_case_util.hpp)

void add_s1_transport_cases(Catalog& c) {
  c.add({.id = "1.4/1",
         .tier = Tier::Must,
         .requirement = "A request with two or more Host headers MUST get 400.",
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest r = get("/api/v1/health");
           r.headers = {{"Host", ctx.target().url.authority}};
           require_status(send(ctx, r), 400, "a request with two Host headers");
           return pass();
         }});
  c.add(
      {.id = "1.5/1",
       .tier = Tier::Must,
       .requirement =
           "The sidecar MUST accept WebSocket upgrades as RFC 6455 section 4.2 specifies, at /rpc.",
       .run = [](CaseContext& ctx) {
         auto [rpc, r] = ctx.try_connect(ctx.options());
         require_upgraded(r, "GET /rpc with a valid upgrade request");
         return pass();
       }});
  c.add({.id = "1.5/2",
         .tier = Tier::Must,
         .requirement = "An upgrade request at any path other than /rpc MUST get HTTP 404.",
         .run = [](CaseContext& ctx) {
           for (const char* path : {"/", "/rpc/", "/RPC", "/api/v1/rpc-nope"}) {
             auto [rpc, r] = ctx.try_connect(ctx.options(), path);
             require_refusal(r, 404, 0, std::string("upgrade at ") + path);
           }
           return pass();
         }});
  c.add(
      {.id = "1.5/3",
       .tier = Tier::Must,
       .requirement =
           "A refused handshake MUST get a complete HTTP response with the JSON error body of 9.3.",
       .run = [](CaseContext& ctx) {
         auto [rpc, r] = ctx.try_connect(ctx.options(), "/not-rpc");
         require_refusal(r, 404, 0, "upgrade at /not-rpc");
         const json body = json::parse(r.body, nullptr, false);
         require(
             has_object(body, "error") && has_integer(body["error"], "code") &&
                 has_string(body["error"], "message"),
             "a complete HTTP response with body {\"error\":{\"code\":<int>,\"message\":<string>}}",
             "body " + WireLog::summarize_text(r.body, 200));
         return pass();
       }});
  c.add({.id = "1.6/1",
         .tier = Tier::Must,
         .requirement =
             "If the client offers flake.v1 in Sec-WebSocket-Protocol, the sidecar MUST select it.",
         .run = [](CaseContext& ctx) {
           ConnectOptions o = ctx.options();
           o.subprotocols = {"flake.v1"};
           auto [rpc, r] = ctx.try_connect(o);
           require_upgraded(r, "upgrade offering flake.v1");
           require(r.subprotocol == "flake.v1",
                   "Sec-WebSocket-Protocol: flake.v1 in the 101 answer",
                   r.subprotocol.empty() ? "no Sec-WebSocket-Protocol header" : r.subprotocol);
           ConnectOptions both = ctx.options();
           both.subprotocols = {"chat.v2", "flake.v1"};
           auto [rpc2, r2] = ctx.try_connect(both);
           require_upgraded(r2, "upgrade offering chat.v2, flake.v1");
           require(r2.subprotocol == "flake.v1", "flake.v1 selected among chat.v2, flake.v1",
                   r2.subprotocol.empty() ? "no Sec-WebSocket-Protocol header" : r2.subprotocol);
           return pass();
         }});
  c.add({.id = "1.6/2",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST accept an upgrade that offers no subprotocol, and send "
                        "no Sec-WebSocket-Protocol header.",
         .run = [](CaseContext& ctx) {
           auto [rpc, r] = ctx.try_connect(ctx.options());
           require_upgraded(r, "upgrade offering no subprotocol");
           require(!r.head.header("sec-websocket-protocol"), "no Sec-WebSocket-Protocol header",
                   r.head.header("sec-websocket-protocol").value_or(""));
           ctx.authenticate(*rpc);
           return pass();
         }});
  // Offering only other subprotocols: refusing (no 101) is allowed, selecting one is not.
  c.add({.id = "1.6/3",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST NOT select any subprotocol other than flake.v1 (refusing "
                        "the upgrade is allowed).",
         .run = [](CaseContext& ctx) {
           ConnectOptions o = ctx.options();
           o.subprotocols = {"chat.v2"};
           auto [rpc, r] = ctx.try_connect(o);
           if (r.status != 101) return pass("the upgrade was refused, which 1.6 allows");
           // The raw header: a 101 selecting a protocol that was never offered fails the client's
           // handshake check, which leaves r.subprotocol empty.
           const auto selected = r.head.header("sec-websocket-protocol");
           require(!selected, "no subprotocol selected when flake.v1 is not offered",
                   "selected " + selected.value_or(""));
           return pass();
         }});
  c.add({.id = "1.6/4",
         .tier = Tier::Should,
         .requirement = "If the client offers subprotocols without flake.v1, the sidecar SHOULD "
                        "complete the handshake without the header.",
         .run = [](CaseContext& ctx) {
           ConnectOptions o = ctx.options();
           o.subprotocols = {"chat.v2"};
           auto [rpc, r] = ctx.try_connect(o);
           require(r.upgraded && r.subprotocol.empty(),
                   "offering only chat.v2: HTTP 101 without Sec-WebSocket-Protocol",
                   r.status == 101
                       ? "selected " + r.subprotocol
                       : (r.status == 0 ? r.error : "HTTP " + std::to_string(r.status)));
           return pass();
         }});
  c.add({.id = "1.7/1",
         .tier = Tier::Must,
         .requirement = "When the client offers permessage-deflate, the sidecar MUST accept it.",
         .run = [](CaseContext& ctx) {
           ConnectOptions o = ctx.options();
           o.offer_deflate = true;
           auto [rpc, r] = ctx.try_connect(o);
           require_upgraded(r, "upgrade offering permessage-deflate");
           require(r.deflate, "Sec-WebSocket-Extensions: permessage-deflate in the 101 answer",
                   r.head.header("sec-websocket-extensions").value_or("no extension header"));
           // Compressed both ways: a request goes out with RSV1, the answer must inflate.
           ctx.authenticate(*rpc);
           const json result = ctx.call_result(*rpc, "vercel.getDashboard", nullptr);
           require(result.is_object(), "a dashboard object through compressed messages",
                   show(result));
           return pass();
         }});
  c.add({.id = "1.7/2",
         .tier = Tier::Must,
         .requirement =
             "The sidecar MUST advertise \"compression\":[\"permessage-deflate\"] in capabilities.",
         .run = [](CaseContext& ctx) {
           const json& caps = ctx.capabilities();
           require(has_array(caps, "compression") &&
                       std::find(caps["compression"].begin(), caps["compression"].end(),
                                 json("permessage-deflate")) != caps["compression"].end(),
                   "capabilities.compression contains \"permessage-deflate\"", show(caps));
           return pass();
         }});
}

}  // namespace flake::conform
