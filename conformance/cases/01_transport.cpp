// §1: request admission (1.4), the WebSocket handshake (1.5), subprotocol (1.6) and compression
// (1.7).

#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/http_client.hpp"
#include "conformance/client/socket.hpp"

#include "conformance/client/sidecar_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace flake::conform {
using namespace rest;  // the shared REST helpers (rest_case_util.hpp)

namespace {

// The local addresses process `pid` listens on for TCP: its socket inodes (/proc/PID/fd) found
// as LISTEN rows of /proc/PID/net/tcp and tcp6. Read, not probed: the suite connects to loopback
// only. Empty when the process has no listening socket of its own (a wrapper that forked it).
struct Listener {
  std::string address;
  bool loopback = false;
};

std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> out;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(fds, ec)) {
    const std::string link = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && link.rfind("socket:[", 0) == 0) out.insert(link.substr(8, link.size() - 9));
  }
  return out;
}

// One /proc/net/tcp{,6} address ("0100007F" or 32 hex digits): 32-bit words in host order.
std::optional<Listener> decode_address(std::string_view hex) {
  auto word = [&](std::size_t i) {
    return static_cast<std::uint32_t>(std::stoul(std::string(hex.substr(i * 8, 8)), nullptr, 16));
  };
  char text[INET6_ADDRSTRLEN] = {};
  if (hex.size() == 8) {
    in_addr a{};
    a.s_addr = word(0);
    ::inet_ntop(AF_INET, &a, text, sizeof text);
    return Listener{text, (ntohl(a.s_addr) >> 24) == 127};
  }
  if (hex.size() != 32) return std::nullopt;
  in6_addr a{};
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint32_t w = word(i);
    std::memcpy(a.s6_addr + i * 4, &w, 4);
  }
  ::inet_ntop(AF_INET6, &a, text, sizeof text);
  const bool v4_loopback = IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  return Listener{text, IN6_IS_ADDR_LOOPBACK(&a) || v4_loopback};
}

std::vector<Listener> listening_addresses(pid_t pid) {
  std::vector<Listener> out;
  const std::set<std::string> inodes = socket_inodes(pid);
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, skip, inode;
      fields >> slot >> local >> remote >> state;
      for (int i = 0; i < 5; ++i) fields >> skip;  // tx:rx tr:when retrnsmt uid timeout
      fields >> inode;
      if (state != "0A" || !inodes.contains(inode)) continue;  // 0A: LISTEN
      if (auto l = decode_address(local.substr(0, local.find(':')))) out.push_back(*l);
    }
  }
  return out;
}

// §1.4b: refused before the upgrade, with an HTTP 4xx answer.
void require_no_upgrade(const ConnectResult& r, const std::string& what) {
  require(r.connected && r.status >= 400 && r.status < 500, what + ": an HTTP 4xx answer, no 101",
          r.status == 0 ? "no HTTP answer (" + r.error + ")" : "HTTP " + std::to_string(r.status));
}

}  // namespace

void add_s1_transport_cases(Catalog& c) {
  // §1.1, §1.2, §1.8: what only a sidecar started by the case itself would show.
  c.explain({.rule = "1.1a",
             .why = Why::Gap,
             .reason =
                 "A case would need a sidecar that serves its HTTP endpoints on a second port "
                 "to show that a plain HTTP request to the upgrade port is refused."});
  c.explain({.rule = "1.1b",
             .why = Why::Gap,
             .reason = "A case would need to start the sidecar without --port while port 9123 is "
                       "free and connect to that port."});
  c.explain({.rule = "1.1c",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar with --port 0 and check that "
                       "the port of its start-up line accepts connections."});
  c.explain({.rule = "1.1f",
             .why = Why::Gap,
             .reason = "A case would need to start a second sidecar on a port that is already in "
                       "use and read its exit status."});
  c.explain({.rule = "1.2a",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar and read its standard output; "
                       "the suite's start-up waits for this line but reports no case on it."});
  c.explain({.rule = "1.2b",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar with standard output on a pipe "
                       "and see the line arrive while the process keeps running."});
  c.explain({.rule = "1.2c",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar and connect to the port at "
                       "the moment the start-up line arrives."});
  c.explain({.rule = "1.2d",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar and time its start-up line."});
  c.explain({.rule = "1.3c",
             .why = Why::Gap,
             .reason = "A case would name the service multi in every method and endpoint that "
                       "takes a service and expect the unknown-service answers of §5.2 and §9.9."});
  c.explain({.rule = "1.8a",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar with each option of the table "
                       "and observe its effect."});
  c.explain({.rule = "1.8b",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar without the optional options "
                       "and observe each default, which a --spawn command may override."});
  c.explain({.rule = "1.8c",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar with an option given twice and "
                       "observe that the last value is in force."});
  c.explain({.rule = "1.8d",
             .why = Why::Gap,
             .reason = "A case would need to start its own sidecar with an unknown option and "
                       "read its exit status."});
  c.explain({.rule = "1.8e",
             .why = Why::Gap,
             .reason = "A case would need to know that the sidecar was started without options "
                       "that change these defaults, which a --spawn command may pass."});

  c.add({.id = "1.1/1",
         .tier = Tier::Must,
         .requirement = "By default the sidecar MUST listen on 127.0.0.1 and MUST NOT listen on a "
                        "non-loopback address.",
         .rules = {"1.1d", "1.1e"},
         .run = [](CaseContext& ctx) {
           const Target& t = ctx.target();
           const pid_t pid = t.process ? t.process->pid() : t.pid;
           if (pid <= 0) skip_case("the suite did not start the sidecar and no --pid was given");
           const std::vector<Listener> listeners = listening_addresses(pid);
           if (listeners.empty()) {
             skip_case("process " + std::to_string(pid) +
                       " has no listening TCP socket of its own (a wrapper process?)");
           }
           std::string all;
           for (const Listener& l : listeners) all += (all.empty() ? "" : ", ") + l.address;
           for (const Listener& l : listeners) {
             require(l.loopback, "listening sockets on loopback addresses only",
                     "listening on " + all);
           }
           const bool v4 = std::any_of(listeners.begin(), listeners.end(), [](const Listener& l) {
             return l.address == "127.0.0.1" || l.address == "::ffff:127.0.0.1";
           });
           require(v4, "a listening socket on 127.0.0.1", "listening on " + all);
           return pass("listening on " + all);
         }});
  c.add({.id = "1.3/1",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST ignore query parameters that the spec does not define "
                        "(an upgrade at /rpc?..., GET /api/v1/health?...).",
         .rules = {"1.3b"},
         .run = [](CaseContext& ctx) {
           const std::string path = "/rpc?flake-unknown=1&flag";
           auto [rpc, r] = ctx.try_connect(ctx.options(), path);
           require_upgraded(r, "an upgrade at " + path);
           ctx.require_usable(*rpc, "an upgrade at " + path);
           const HttpResponse plain = send(ctx, get("/api/v1/health"));
           if (plain.complete && plain.status == 404) {
             return pass("no REST endpoints: the upgrade alone checked");
           }
           require_status(send(ctx, get("/api/v1/health?flake-unknown=1&flag")), 200,
                          "GET /api/v1/health?flake-unknown=1&flag");
           return pass();
         }});
  c.add({.id = "1.4/1",
         .tier = Tier::Must,
         .requirement = "A request with two or more Host headers MUST get 400.",
         .rules = {"1.4a", "4.3b"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest r = get("/api/v1/health");
           r.headers = {{"Host", ctx.target().url.authority}};
           require_status(send(ctx, r), 400, "a request with two Host headers");
           return pass();
         }});
  c.add({.id = "1.4/2",
         .tier = Tier::Must,
         .group = Group::Core,  // upgrades, not the REST endpoints of the rest of 1.4
         .requirement =
             "An upgrade request that steps 1-3 refuse (two Host headers, a foreign Host, "
             "a foreign Origin) MUST NOT get 101.",
         .rules = {"1.4b"},
         .run = [](CaseContext& ctx) {
           ConnectOptions two_hosts = ctx.options();
           two_hosts.headers.emplace_back("Host", ctx.target().url.authority);
           auto [a, ra] = ctx.try_connect(two_hosts);
           require_no_upgrade(ra, "an upgrade request with two Host headers");
           ConnectOptions foreign_host = ctx.options();
           foreign_host.host_header =
               "flake-foreign.example:" + std::to_string(ctx.target().url.port);
           auto [b, rb] = ctx.try_connect(foreign_host);
           require_no_upgrade(rb, "an upgrade request with Host flake-foreign.example");
           ConnectOptions foreign_origin = ctx.options();
           foreign_origin.origin = "http://flake-foreign.example";
           auto [c2, rc] = ctx.try_connect(foreign_origin);
           require_no_upgrade(rc, "an upgrade request with Origin http://flake-foreign.example");
           return pass();
         }});
  c.add({.id = "1.4/3",
         .tier = Tier::Should,
         .requirement = "Steps 4-10 SHOULD apply in order: routing (404, 405) before "
                        "authentication (401) before the Content-Type check (415).",
         .rules = {"1.4c"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           require_status(send(ctx, get("/api/v1/flake-no-such-endpoint")), 404,
                          "GET of an unknown path without Authorization");
           require_status(send(ctx, get("/api/v1/rpc")), 405,
                          "GET /api/v1/rpc (a POST path) without Authorization");
           HttpRequest plain = post_json("/api/v1/rpc", "{}");
           for (auto& [name, value] : plain.headers) {
             if (name == "Content-Type") value = "text/plain";
           }
           require_status(send(ctx, plain), 401,
                          "POST /api/v1/rpc with Content-Type text/plain, without Authorization");
           return pass();
         }});
  c.add(
      {.id = "1.5/1",
       .tier = Tier::Must,
       .requirement =
           "The sidecar MUST accept WebSocket upgrades as RFC 6455 section 4.2 specifies, at /rpc.",
       .rules = {"1.5a", "1.5f"},
       .run = [](CaseContext& ctx) {
         auto [rpc, r] = ctx.try_connect(ctx.options());
         require_upgraded(r, "GET /rpc with a valid upgrade request");
         return pass();
       }});
  c.add({.id = "1.5/2",
         .tier = Tier::Must,
         .requirement = "An upgrade request at any path other than /rpc MUST get HTTP 404.",
         .rules = {"1.3a", "1.5b", "1.5c"},
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
       .rules = {"1.5g"},
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
  // §1.5 with §1.4 step 5: OPTIONS /rpc is a preflight like on every path of §1.3, not a 405.
  c.add({.id = "1.5/4",
         .tier = Tier::Must,
         .requirement = "GET /rpc without an upgrade MUST get 400, POST /rpc 405, and OPTIONS /rpc "
                        "the CORS preflight answer 204.",
         .rules = {"1.5d", "1.5e", "9.5c"},
         .run = [](CaseContext& ctx) {
           require_status(send(ctx, get("/rpc")), 400, "GET /rpc without an upgrade");
           require_status(send(ctx, post_json("/rpc", "{}")), 405, "POST /rpc");
           HttpRequest preflight = get("/rpc");
           preflight.method = "OPTIONS";
           require_status(send(ctx, preflight), 204, "OPTIONS /rpc (a CORS preflight)");
           return pass();
         }});
  c.add({.id = "1.6/1",
         .tier = Tier::Must,
         .requirement =
             "If the client offers flake.v1 in Sec-WebSocket-Protocol, the sidecar MUST select it.",
         .rules = {"1.6a"},
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
         .rules = {"1.6b"},
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
         .rules = {"1.6c"},
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
         .rules = {"1.6d"},
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
         .rules = {"1.7a"},
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
         .rules = {"1.7b"},
         .run = [](CaseContext& ctx) {
           const json& caps = ctx.capabilities();
           require(has_array(caps, "compression") &&
                       std::find(caps["compression"].begin(), caps["compression"].end(),
                                 json("permessage-deflate")) != caps["compression"].end(),
                   "capabilities.compression contains \"permessage-deflate\"", show(caps));
           return pass();
         }});
  // RFC 7692 section 5: an offer the server cannot honour is declined, the upgrade goes on.
  c.add({.id = "1.7/3",
         .tier = Tier::Must,
         .requirement = "A permessage-deflate offer whose parameters the sidecar cannot honour "
                        "MUST be declined: 101 without Sec-WebSocket-Extensions.",
         .rules = {"1.7a", "1.7d"},
         .run = [](CaseContext& ctx) {
           ConnectOptions plain = ctx.options();
           plain.offer_deflate = true;
           if (!ctx.try_connect(plain).second.deflate) {
             unimplemented_case("permessage-deflate is not accepted at all (1.7/1)");
           }
           for (const char* offer :
                {"permessage-deflate; server_max_window_bits=7",
                 "permessage-deflate; x-flake-unknown",
                 "permessage-deflate; client_no_context_takeover; client_no_context_takeover"}) {
             ConnectOptions o = ctx.options();
             o.headers.emplace_back("Sec-WebSocket-Extensions", offer);
             auto [rpc, r] = ctx.try_connect(o);
             const std::string what = std::string("an upgrade offering ") + offer;
             require(r.status == 101, what + ": HTTP 101 (the extension declined)",
                     r.status == 0 ? r.error : "HTTP " + std::to_string(r.status));
             const auto agreed = r.head.header("sec-websocket-extensions");
             require(!agreed, what + ": no Sec-WebSocket-Extensions header", agreed.value_or(""));
             require_upgraded(r, what);
             ctx.require_usable(*rpc, what);
           }
           // Of two offers, the one the sidecar can honour is accepted.
           ConnectOptions o = ctx.options();
           o.headers.emplace_back("Sec-WebSocket-Extensions",
                                  "permessage-deflate; x-flake-unknown, permessage-deflate");
           auto [rpc, r] = ctx.try_connect(o);
           const auto agreed = r.head.header("sec-websocket-extensions").value_or("");
           require(r.status == 101 && agreed.rfind("permessage-deflate", 0) == 0,
                   "offering permessage-deflate with an unknown parameter, then without: HTTP 101 "
                   "with the second offer accepted",
                   r.status == 101
                       ? "Sec-WebSocket-Extensions: " + agreed
                       : (r.status == 0 ? r.error : "HTTP " + std::to_string(r.status)));
           return pass();
         }});
}

}  // namespace flake::conform
