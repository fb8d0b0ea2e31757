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
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
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

// §1.2a: the start-up line, and its port (group 2).
const std::regex& startup_line() {
  static const std::regex re(R"(listening on wss?://([^/ ]+):([0-9]{1,5})/rpc\s*$)");
  return re;
}

// The lines of `lines` that match the start-up line of §1.2a.
std::vector<OutputLine> startup_lines(const std::vector<OutputLine>& lines) {
  std::vector<OutputLine> out;
  for (const OutputLine& l : lines) {
    if (std::regex_search(l.text, startup_line())) out.push_back(l);
  }
  return out;
}

std::string show_lines(const std::vector<OutputLine>& lines) {
  std::string out;
  for (const OutputLine& l : lines) out += (out.empty() ? "" : " | ") + l.text;
  return out.empty() ? "(nothing)" : out;
}

// True when something accepts TCP connections on 127.0.0.1:`port` within `wait`.
bool accepts(std::uint16_t port, std::chrono::milliseconds wait) {
  TcpSocket probe;
  return probe.connect("127.0.0.1", port, deadline_in(wait));
}

// True when a server could bind 127.0.0.1:`port` now (nobody listens on it).
bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int on = 1;  // as a server binds: a connection left in TIME_WAIT does not hold the port
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A JSON-RPC request of exactly `size` bytes (padded with an unknown member): any answer to it
// shows that the message was accepted.
std::string request_of_size(std::size_t size) {
  const std::string head = R"({"jsonrpc":"2.0","id":7,"method":"system.ping","pad":")";
  const std::string tail = R"("})";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

// The sidecar at `url` accepts a message of `limit` bytes and closes with 1009 on `limit` + 1
// (§2.9), as its --max-message-bytes says.
void require_message_limit(CaseContext& ctx, const Url& url, const std::string& token,
                           std::size_t limit, const std::string& what) {
  auto rpc = ctx.client();
  authenticate_at(ctx, *rpc, url, token, what);
  const Incoming fits = send_text_wait(ctx, *rpc, request_of_size(limit));
  require(fits.is_value(), what + ": an answer to a message of " + std::to_string(limit) + " bytes",
          fits.describe());
  const Incoming over = send_text_wait(ctx, *rpc, request_of_size(limit + 1));
  require_close(over.kind == Incoming::Kind::Timeout ? await_close(ctx, *rpc, false) : over, 1009,
                what + ": a message of " + std::to_string(limit + 1) + " bytes");
}

// An upgrade at `url` with Host `host` gets 101.
bool upgrade_with_host(CaseContext& ctx, const Url& url, const std::string& host) {
  ConnectOptions o = ctx.options();
  o.host_header = host;
  auto rpc = ctx.client();
  return rpc->connect(url, o).upgraded;
}

// An upgrade at `url` with Origin `origin` gets 101.
bool upgrade_with_origin(CaseContext& ctx, const Url& url, const std::string& origin) {
  ConnectOptions o = ctx.options();
  o.origin = origin;
  auto rpc = ctx.client();
  return rpc->connect(url, o).upgraded;
}

}  // namespace

void add_s1_transport_cases(Catalog& c) {
  // §1.1, §1.2, §1.8: what only a sidecar started by the case itself would show.

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
  c.add(
      {.id = "1.1/2",
       .tier = Tier::Must,
       .requirement = "The sidecar MUST serve every endpoint of 1.3 on the one port of its "
                      "start-up line: the /rpc upgrade, POST /api/v1/rpc, health, a service's "
                      "and multi dashboards, an action, a ticket, a log export, the three SSE "
                      "streams and a preflight all answer there with success.",
       .rules = {"1.1a"},
       .run = [](CaseContext& ctx) {
         ctx.connect_authenticated();
         require_rest(ctx);
         HttpRequest preflight = get("/api/v1/rpc");
         preflight.method = "OPTIONS";
         preflight.headers = {{"Access-Control-Request-Method", "POST"}};
         const std::pair<HttpRequest, int> requests[] = {
             {with_bearer(ctx, post_json("/api/v1/rpc",
                                         R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})")),
              200},
             {with_bearer(ctx, get("/api/v1/vercel/dashboard")), 200},
             {with_bearer(ctx, get("/api/v1/multi/dashboard")), 200},
             {with_bearer(ctx, post_json("/api/v1/vercel/action", R"({"action":"getDashboard"})")),
              200},
             {with_bearer(ctx, post_json("/api/v1/auth/ticket", "{}")), 200},
             {with_bearer(ctx, get("/api/v1/logs/vercel?timeRange=1s")), 200},
             {preflight, 204},
         };
         for (const auto& [request, status] : requests) {
           require_status(send(ctx, request), status, request.method + " " + request.path);
         }
         for (const char* path : {"/api/v1/stream/logs/vercel", "/api/v1/stream/metrics",
                                  "/api/v1/stream/deployments"}) {
           SseStream stream;
           const HttpResponse r =
               stream.open(ctx.target().url, with_bearer(ctx, get(path)), ctx.deadline(),
                           &ctx.log(), ctx.next_connection_number());
           require(r.complete && r.status == 200, std::string("GET ") + path + ": HTTP 200",
                   r.complete ? status_text(r) : r.error);
         }
         return pass("every endpoint on port " + std::to_string(ctx.target().url.port));
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
  c.add(
      {.id = "1.3/2",
       .tier = Tier::Must,
       .requirement = "multi MUST NOT be served as a service: logs.subscribe, metrics.subscribe, "
                      "deployments.subscribe, logs.getLarge and test.emitLogs with service "
                      "multi get -32004 {\"resource\":\"service:multi\"}, and "
                      "POST /api/v1/multi/action, GET /api/v1/stream/logs/multi and "
                      "GET /api/v1/logs/multi?timeRange=1h get 404 with -32004.",
       .rules = {"1.3c"},
       .run = [](CaseContext& ctx) {
         auto rpc = ctx.connect_authenticated();
         const std::pair<const char*, json> calls[] = {
             {"logs.subscribe", {{"service", "multi"}}},
             {"metrics.subscribe", {{"service", "multi"}}},
             {"deployments.subscribe", {{"service", "multi"}}},
             {"logs.getLarge", {{"service", "multi"}, {"timeRange", "1h"}}},
             {"test.emitLogs", {{"service", "multi"}, {"count", 1}}},
         };
         for (const auto& [method, params] : calls) {
           const std::string what = std::string(method) + " " + params.dump();
           const json error = error_of(ctx, *rpc, method, params, -32004, what);
           require(
               has_object(error, "data") && error["data"].value("resource", "") == "service:multi",
               what + ": data {\"resource\":\"service:multi\"}", show(error));
         }
         const HttpResponse health = send(ctx, get("/api/v1/health"));
         if (health.complete && health.status == 404) {
           return pass("no REST endpoints: the methods alone checked");
         }
         const std::pair<HttpRequest, const char*> requests[] = {
             {with_bearer(ctx, post_json("/api/v1/multi/action", R"({"action":"getDashboard"})")),
              "POST /api/v1/multi/action"},
             {with_bearer(ctx, get("/api/v1/stream/logs/multi")), "GET /api/v1/stream/logs/multi"},
             {with_bearer(ctx, get("/api/v1/logs/multi?timeRange=1h")),
              "GET /api/v1/logs/multi?timeRange=1h"},
         };
         for (const auto& [request, what] : requests) {
           require_error_body(send(ctx, request), 404, -32004, what);
         }
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
  // §1.1, §1.2, §1.8: a sidecar process of the case's own (§11.7 says how it is started).
  c.add({.id = "1.1/3",
         .tier = Tier::Must,
         .requirement = "Started without --port (the suite composes the command: --reference), the "
                        "sidecar MUST listen on port 9123. Skipped when port 9123 is in use.",
         .rules = {"1.1b", "1.8b"},
         .budget = std::chrono::milliseconds(15000),
         .run = [](CaseContext& ctx) {
           if (ctx.target().start_with && !ctx.target().composes_command) {
             skip_case(
                 "needs a start without --port, which only a command the suite composes "
                 "can leave out (--reference); a --spawn command passes it itself (11.7)");
           }
           if (!port_free(9123)) skip_case("port 9123 is in use on this machine");
           StartSpec spec;
           spec.without_port = true;
           const StartAttempt s = start_own_sidecar(ctx, spec, "started without --port");
           const Url url = require_listening(ctx, s, "started without --port");
           require(url.port == 9123, "the start-up line reports port 9123",
                   "port " + std::to_string(url.port));
           auto rpc = ctx.client();
           authenticate_at(ctx, *rpc, url, ctx.target().token, "port 9123");
           return pass();
         }});
  c.add({.id = "1.1/4",
         .tier = Tier::Must,
         .requirement = "With --port 0 the sidecar MUST listen on a free port that the operating "
                        "system picks: two processes started at once both listen, each on the "
                        "non-zero port of its start-up line.",
         .rules = {"1.1c"},
         .budget = std::chrono::milliseconds(25000),
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.extra = {"--port", "0"};
           spec.wait = false;
           const StartAttempt a = start_own_sidecar(ctx, spec, "first start with --port 0");
           const StartAttempt b = start_own_sidecar(ctx, spec, "second start with --port 0");
           std::set<std::uint16_t> ports;
           for (const StartAttempt* s : {&a, &b}) {
             const std::optional<Url> url = s->process->wait_listening(ctx.time_left());
             if (!url) {
               fail_case("both processes started with --port 0 print a start-up line",
                         "one did not; its output:\n" + s->process->output_tail());
             }
             require(url->port != 0, "a non-zero port in the start-up line", url->authority);
             auto rpc = ctx.client();
             authenticate_at(ctx, *rpc, *url, ctx.target().token, "--port 0 at " + url->authority);
             ports.insert(url->port);
           }
           require(ports.size() == 2, "two different ports", "both on the same port");
           return pass();
         }});
  c.add({.id = "1.1/5",
         .tier = Tier::Must,
         .requirement = "Started with --port set to a port that is in use (the suite's sidecar's), "
                        "the sidecar MUST exit with a non-zero status without a start-up line.",
         .rules = {"1.1f"},
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.extra = {"--port", std::to_string(ctx.target().url.port)};
           spec.timeout = std::chrono::milliseconds(5000);
           const StartAttempt s = start_own_sidecar(ctx, spec, "started on a port in use");
           require_start_refused(s, "started on a port in use");
           return pass();
         }});
  c.add({.id = "1.2/1",
         .tier = Tier::Must,
         .requirement = "Standard output MUST hold exactly one line matching "
                        "listening on wss?://([^/ ]+):([0-9]{1,5})/rpc\\s*$, whose port is the one "
                        "in use (read 300 ms after the line, and after the process is stopped).",
         .rules = {"1.2a"},
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           const StartAttempt s = start_own_sidecar(ctx, spec, "a sidecar of the case");
           const Url url = require_listening(ctx, s, "a sidecar of the case");
           auto rpc = ctx.client();
           authenticate_at(ctx, *rpc, url, ctx.target().token, "the port of the start-up line");
           std::this_thread::sleep_for(std::chrono::milliseconds(300));
           rpc.reset();
           s.process->stop();
           const std::vector<OutputLine> lines = s.process->stdout_lines();
           const std::vector<OutputLine> matching = startup_lines(lines);
           require(matching.size() == 1, "exactly one start-up line on standard output",
                   std::to_string(matching.size()) + " in: " + show_lines(lines));
           std::smatch m;
           std::regex_search(matching[0].text, m, startup_line());
           require(m[2].str() == std::to_string(url.port), "group 2 is the port in use",
                   m[2].str() + " (connected to " + std::to_string(url.port) + ")");
           return pass();
         }});
  c.add(
      {.id = "1.2/2",
       .tier = Tier::Must,
       .requirement = "The sidecar MUST flush its start-up line: the line arrives on a pipe, "
                      "while the process runs, within 1 s of the port accepting connections.",
       .rules = {"1.2b"},
       .budget = std::chrono::milliseconds(20000),
       .run = [](CaseContext& ctx) {
         const std::uint16_t port = pick_free_port();
         StartSpec spec;
         spec.extra = {"--port", std::to_string(port)};
         spec.wait = false;
         const StartAttempt s = start_own_sidecar(ctx, spec, "a sidecar of the case");
         const Deadline end = deadline_in(std::chrono::milliseconds(10000));
         while (!accepts(port, std::chrono::milliseconds(50))) {
           if (Clock::now() >= end || !s.process->running()) {
             fail_case("the port given with --port accepts connections",
                       "it does not; output:\n" + s.process->output_tail());
           }
           std::this_thread::sleep_for(std::chrono::milliseconds(10));
         }
         const auto accepted = Clock::now();
         const std::optional<Url> url = s.process->wait_listening(std::chrono::milliseconds(1000));
         require(url.has_value(), "the start-up line within 1 s of the port accepting",
                 "none yet " + std::to_string(ms_between(accepted, Clock::now())) +
                     " ms later; standard output so far: " + show_lines(s.process->stdout_lines()));
         require(s.process->running(), "the process still runs", "it has ended");
         return pass();
       }});
  c.add({.id = "1.2/3",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST NOT write its start-up line before connections to the "
                        "port succeed: a TCP connection made the moment the line arrives succeeds.",
         .rules = {"1.2c"},
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.extra = {"--port", std::to_string(pick_free_port())};
           spec.wait = false;
           const StartAttempt s = start_own_sidecar(ctx, spec, "a sidecar of the case");
           const std::optional<Url> url =
               s.process->wait_listening(std::chrono::milliseconds(10000));
           if (!url) {
             fail_case("a start-up line", "none; output:\n" + s.process->output_tail());
           }
           TcpSocket probe;
           const bool ok =
               probe.connect("127.0.0.1", url->port, deadline_in(std::chrono::milliseconds(200)));
           require(ok,
                   "a TCP connection to port " + std::to_string(url->port) +
                       " as soon as the line arrived",
                   "refused or no answer");
           return pass();
         }});
  c.add({.id = "1.2/4",
         .tier = Tier::Should,
         .requirement = "The sidecar SHOULD write its start-up line within 2 s of starting.",
         .rules = {"1.2d"},
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.wait = false;
           const StartAttempt s = start_own_sidecar(ctx, spec, "a sidecar of the case");
           s.process->wait_listening(std::chrono::milliseconds(10000));
           const std::vector<OutputLine> lines = startup_lines(s.process->stdout_lines());
           if (lines.empty()) {
             fail_case("a start-up line", "none; output:\n" + s.process->output_tail());
           }
           const long long ms = ms_between(s.process->started_at(), lines[0].at);
           require(ms <= 2000, "the start-up line within 2,000 ms",
                   "after " + std::to_string(ms) + " ms");
           return pass("after " + std::to_string(ms) + " ms");
         }});
  c.add({.id = "1.8/1",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST accept every option of the 1.8 table as --option VALUE "
                        "with its meaning: --port N (listens on N), --token-file (its token), "
                        "--max-message-bytes (capabilities and 1009 above it), --allow-origin, "
                        "--allow-host, --rate (capabilities.rateLimit.rate), --conformance.",
         .rules = {"1.8a"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           const std::string token = "flake-1.8-" + random_token();
           std::string error;
           const std::optional<TempFile> file = write_token_file("flake-conform-1.8", token, error);
           if (!file) fail_case("a token file of the case", error);
           const std::uint16_t port = pick_free_port();
           StartSpec spec;
           spec.optional_options = false;
           spec.extra = {"--port",
                         std::to_string(port),
                         "--token-file",
                         file->path(),
                         "--max-message-bytes",
                         "4096",
                         "--allow-origin",
                         "http://flake-allowed.test",
                         "--allow-host",
                         "flake-host.test",
                         "--rate",
                         "250"};
           const StartAttempt s = start_own_sidecar(ctx, spec, "every option of 1.8");
           const Url url = require_listening(ctx, s, "every option of 1.8");
           require(url.port == port, "listening on the --port given", url.authority);
           auto rpc = ctx.client();
           const json auth = authenticate_at(ctx, *rpc, url, token, "the --token-file token");
           const json caps = auth.value("capabilities", json::object());
           require(caps.value("maxMessageBytes", json()) == 4096,
                   "capabilities.maxMessageBytes 4096", show(caps));
           require(caps.contains("rateLimit") && caps["rateLimit"].value("rate", json()) == 250,
                   "capabilities.rateLimit.rate 250", show(caps));
           const Incoming clock = rpc->call("test.setClock", {{"offsetMs", 0}}, ctx.timeout());
           require_result(clock, answer_id(clock), "test.setClock with --conformance");
           require(upgrade_with_origin(ctx, url, "http://flake-allowed.test"),
                   "an upgrade with the --allow-origin Origin", "refused");
           require(upgrade_with_host(ctx, url, "flake-host.test:" + std::to_string(port)),
                   "an upgrade with the --allow-host name in Host", "refused");
           require_message_limit(ctx, url, token, 4096, "--max-message-bytes 4096");
           return pass();
         }});
  c.add({.id = "1.8/2",
         .tier = Tier::Must,
         .requirement = "Started with --conformance only, the sidecar MUST apply the defaults: "
                        "maxMessageBytes 16,777,216 and rate 10,000 (1.8b), burst 20,000 and "
                        "resumeGraceMs 30,000 in capabilities, a foreign Origin refused, and a "
                        "65th connection refused with 503 (1.8e). The send-buffer bound, the "
                        "authentication, ping and header deadlines are not timed here.",
         .rules = {"1.8b", "1.8e"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.optional_options = false;
           const StartAttempt s = start_own_sidecar(ctx, spec, "started with --conformance only");
           const Url url = require_listening(ctx, s, "started with --conformance only");
           auto rpc = ctx.client();
           const json auth = authenticate_at(ctx, *rpc, url, ctx.target().token, "defaults");
           const json caps = auth.value("capabilities", json::object());
           const json rate = caps.value("rateLimit", json::object());
           require(caps.value("maxMessageBytes", json()) == 16777216,
                   "capabilities.maxMessageBytes 16777216", show(caps));
           require(rate.value("rate", json()) == 10000, "capabilities.rateLimit.rate 10000",
                   show(caps));
           require(rate.value("burst", json()) == 20000, "capabilities.rateLimit.burst 20000",
                   show(caps));
           require(caps.value("resumeGraceMs", json()) == 30000, "capabilities.resumeGraceMs 30000",
                   show(caps));
           require(!upgrade_with_origin(ctx, url, "http://flake-foreign.example"),
                   "an upgrade with a foreign Origin refused (no --allow-origin)", "101");
           std::vector<std::unique_ptr<RpcClient>> open;
           for (int i = 1; i < 64; ++i) {  // the authenticated one above is the first
             auto more = ctx.client();
             require_upgraded(more->connect(url, ctx.options()),
                              "connection " + std::to_string(i + 1) + " of 64");
             open.push_back(std::move(more));
           }
           auto extra = ctx.client();
           const ConnectResult over = extra->connect(url, ctx.options());
           require(!over.upgraded && over.status == 503, "the 65th connection refused with 503",
                   over.upgraded ? "101" : "HTTP " + std::to_string(over.status));
           return pass();
         }});
  c.add({.id = "1.8/3",
         .tier = Tier::Must,
         .requirement = "Given twice, --rate and --max-message-bytes MUST take the last value "
                        "(capabilities), and --allow-origin and --allow-host MUST accumulate.",
         .rules = {"1.8c"},
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.optional_options = false;
           spec.extra = {"--rate",
                         "100",
                         "--rate",
                         "300",
                         "--max-message-bytes",
                         "2048",
                         "--max-message-bytes",
                         "8192",
                         "--allow-origin",
                         "http://a.flake.test",
                         "--allow-origin",
                         "http://b.flake.test",
                         "--allow-host",
                         "a.flake.test",
                         "--allow-host",
                         "b.flake.test"};
           const StartAttempt s = start_own_sidecar(ctx, spec, "options given twice");
           const Url url = require_listening(ctx, s, "options given twice");
           auto rpc = ctx.client();
           const json auth = authenticate_at(ctx, *rpc, url, ctx.target().token, "twice");
           const json caps = auth.value("capabilities", json::object());
           require(caps.value("rateLimit", json::object()).value("rate", json()) == 300,
                   "capabilities.rateLimit.rate 300 (the last --rate)", show(caps));
           require(caps.value("maxMessageBytes", json()) == 8192,
                   "capabilities.maxMessageBytes 8192 (the last --max-message-bytes)", show(caps));
           for (const char* origin : {"http://a.flake.test", "http://b.flake.test"}) {
             require(upgrade_with_origin(ctx, url, origin),
                     std::string("an upgrade with Origin ") + origin, "refused");
           }
           for (const char* name : {"a.flake.test", "b.flake.test"}) {
             require(upgrade_with_host(ctx, url, name), std::string("an upgrade with Host ") + name,
                     "refused");
           }
           return pass();
         }});
  c.add({.id = "1.8/4",
         .tier = Tier::Should,
         .requirement = "The sidecar SHOULD exit with a non-zero status, without a start-up line, "
                        "on an unknown option and on a malformed --rate value.",
         .rules = {"1.8d"},
         .budget = std::chrono::milliseconds(15000),
         .run = [](CaseContext& ctx) {
           for (const std::vector<std::string>& extra :
                {std::vector<std::string>{"--flake-no-such-option"},
                 std::vector<std::string>{"--rate", "fast"}}) {
             StartSpec spec;
             spec.extra = extra;
             spec.timeout = std::chrono::milliseconds(5000);
             const std::string what =
                 "started with " + extra[0] + (extra.size() > 1 ? " " + extra[1] : std::string());
             require_start_refused(start_own_sidecar(ctx, spec, what), what);
           }
           return pass();
         }});
}

}  // namespace flake::conform
