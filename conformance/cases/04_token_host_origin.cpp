// §4.1-4.4: the secret token, token handling, the Host check and the Origin check, on upgrades and
// HTTP requests.

#include <algorithm>
#include <regex>
#include <thread>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/http_client.hpp"
#include "conformance/client/sidecar_process.hpp"

namespace flake::conform {
namespace {

using namespace rest;  // the shared REST helpers (rest_case_util.hpp)

std::string port_of(const CaseContext& ctx) {
  return std::to_string(ctx.target().url.port);
}

Outcome host_refused(CaseContext& ctx, const std::optional<std::string>& host,
                     std::string_view what) {
  ConnectOptions o = ctx.options();
  if (host) {
    o.host_header = *host;
  } else {
    o.omit_host = true;
  }
  auto [rpc, r] = ctx.try_connect(o);
  require_refusal(r, 403, -32008, what);
  return pass();
}

}  // namespace

void add_s4_token_host_origin_cases(Catalog& c) {
  c.explain({.rule = "4.1a",
             .why = Why::Gap,
             .reason = "A case needs a sidecar of its own started with a token file whose token "
                       "has leading and trailing blanks and line breaks; the token file of the "
                       "suite ends in one line break only."});
  c.explain({.rule = "4.1b",
             .why = Why::Gap,
             .reason = "A case needs a sidecar of its own started without --token-file and with "
                       "FLAKE_SIDECAR_TOKEN set, and then authenticates with that value."});
  c.explain({.rule = "4.1c",
             .why = Why::Untestable,
             .reason = "How much randomness a generated token holds cannot be observed from "
                       "outside the sidecar."});
  c.explain({.rule = "4.1d",
             .why = Why::Gap,
             .reason = "A case needs a sidecar of its own started with neither a token file nor "
                       "FLAKE_SIDECAR_TOKEN, reads the token from its standard output once and "
                       "authenticates with it."});
  c.explain({.rule = "4.1e",
             .why = Why::Gap,
             .reason = "A case needs to start a sidecar of its own with an unreadable or blank "
                       "token file and require a non-zero exit without a start-up line."});
  c.explain({.rule = "4.1f",
             .why = Why::Gap,
             .reason = "A case needs a sidecar of its own started with tokens of 1 and 1,024 "
                       "characters that use every printable non-space ASCII character; the token "
                       "of the suite is 48 hexadecimal digits."});
  c.explain({.rule = "4.2a",
             .why = Why::Untestable,
             .reason = "Whether a comparison takes the same time wherever the first mismatch is "
                       "cannot be measured reliably from outside the sidecar."});
  c.explain({.rule = "4.3d",
             .why = Why::Gap,
             .reason = "A case needs a sidecar started with --allow-host NAME, and the suite "
                       "starts its sidecar without it."});
  c.add(
      {.id = "4.2/1",
       .tier = Tier::Must,
       .requirement = "The sidecar MUST NOT write the token to any log, error message or response.",
       .rules = {"4.2b"},
       .run = [](CaseContext& ctx) {
         // Exercise the paths that could leak it: success, failure, and a wrong token.
         const std::string& token = ctx.target().token;
         auto rpc = ctx.connect();
         const json ok = ctx.authenticate(*rpc);
         require(show(ok, 100000).find(token) == std::string::npos,
                 "no token in the auth.authenticate result", show(ok));
         auto other = ctx.connect();
         const std::string wrong = "not-the-token-" + std::to_string(token.size());
         const Incoming failed =
             other->call("auth.authenticate", auth_params(wrong), ctx.timeout());
         require(!failed.is_value() || show(failed.value, 100000).find(token) == std::string::npos,
                 "no token in the error for a wrong token", failed.describe());
         if (ctx.target().process == nullptr) {
           skip_case(
               "needs a sidecar started by the harness (--spawn or --reference) to read its "
               "output");
         }
         other->call("auth.authenticate", auth_params(token + "x"), ctx.timeout());
         require(!ctx.target().process->secret_seen(),
                 "the token never appears in the sidecar's standard output or standard error",
                 "the token appeared in the sidecar's output");
         return pass();
       }});
  c.add({.id = "4.3/1",
         .tier = Tier::Must,
         .requirement = "A Host other than 127.0.0.1/localhost/[::1] with the listening port MUST "
                        "get 403 and -32008 (DNS rebinding).",
         .rules = {"4.3e"},
         .run = [](CaseContext& ctx) {
           return host_refused(ctx, "evil.example:" + port_of(ctx),
                               "upgrade with Host: evil.example:PORT");
         }});
  c.add({.id = "4.3/2",
         .tier = Tier::Must,
         .requirement = "A request without a Host header MUST get 403.",
         .rules = {"4.3a"},
         .run = [](CaseContext& ctx) {
           return host_refused(ctx, std::nullopt, "upgrade without Host");
         }});
  c.add({.id = "4.3/3",
         .tier = Tier::Must,
         .requirement = "A Host without the port (\"localhost\") MUST get 403.",
         .rules = {"4.3e"},
         .run = [](CaseContext& ctx) {
           return host_refused(ctx, std::string("localhost"), "upgrade with Host: localhost");
         }});
  c.add({.id = "4.3/4",
         .tier = Tier::Must,
         .requirement = "A loopback Host with another port MUST get 403.",
         .rules = {"4.3e"},
         .run = [](CaseContext& ctx) {
           const int other = ctx.target().url.port == 1 ? 2 : ctx.target().url.port - 1;
           return host_refused(ctx, "127.0.0.1:" + std::to_string(other),
                               "upgrade with Host: 127.0.0.1:<other port>");
         }});
  c.add({.id = "4.3/5",
         .tier = Tier::Must,
         .requirement = "127.0.0.1:<port>, localhost:<port> and [::1]:<port> MUST be accepted, "
                        "host part case-insensitively.",
         .rules = {"4.3c"},
         .run = [](CaseContext& ctx) {
           const std::string port = port_of(ctx);
           for (const std::string& host :
                {"127.0.0.1:" + port, "localhost:" + port, "LocalHost:" + port, "[::1]:" + port}) {
             ConnectOptions o = ctx.options();
             o.host_header = host;
             auto [rpc, r] = ctx.try_connect(o);
             require_upgraded(r, "upgrade with Host: " + host);
           }
           return pass();
         }});
  c.add({.id = "4.3/6",
         .tier = Tier::Must,
         .group = Group::Rest,
         .requirement =
             "The Host check MUST apply to every HTTP request, health included (403, -32008).",
         .rules = {"4.3a", "4.3e"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest r = get("/api/v1/health");
           r.host = "evil.example:" + std::to_string(ctx.target().url.port);
           require_error_body(send(ctx, r), 403, -32008,
                              "GET /api/v1/health with Host evil.example");
           HttpRequest none = get("/api/v1/health");
           none.omit_host = true;
           require_error_body(send(ctx, none), 403, -32008, "GET /api/v1/health without Host");
           return pass();
         }});
  c.add({.id = "4.4/1",
         .tier = Tier::Must,
         .requirement = "An Origin that is present and not on the allowlist (\"null\" included) "
                        "MUST get 403 and -32008.",
         .rules = {"4.4c", "4.4b", "4.4d"},
         .run = [](CaseContext& ctx) {
           for (const char* origin : {"https://evil.example", "null", "http://localhost",
                                      "tauri://localhost.evil", "http://127.0.0.1:"}) {
             ConnectOptions o = ctx.options();
             o.origin = origin;
             auto [rpc, r] = ctx.try_connect(o);
             require_refusal(r, 403, -32008, std::string("upgrade with Origin: ") + origin);
           }
           return pass();
         }});
  c.add({.id = "4.4/2",
         .tier = Tier::Must,
         .requirement =
             "The default allowlist origins MUST be accepted, compared ASCII-case-insensitively.",
         .rules = {"4.4b"},
         .run = [](CaseContext& ctx) {
           for (const char* origin : {"tauri://localhost", "http://tauri.localhost",
                                      "https://tauri.localhost", "TAURI://LOCALHOST"}) {
             ConnectOptions o = ctx.options();
             o.origin = origin;
             auto [rpc, r] = ctx.try_connect(o);
             require_upgraded(r, std::string("upgrade with Origin: ") + origin);
           }
           return pass();
         }});
  c.add({.id = "4.4/3",
         .tier = Tier::Must,
         .requirement = "A request without an Origin header MUST pass the Origin check.",
         .rules = {"4.4a"},
         .run = [](CaseContext& ctx) {
           auto [rpc, r] = ctx.try_connect(ctx.options());
           require_upgraded(r, "upgrade without an Origin header");
           // Plain HTTP requests pass the same check (§1.4 step 3); 404 means no REST endpoints at
           // all.
           const HttpResponse health = rest::send(ctx, rest::get("/api/v1/health"));
           require(health.complete && health.status != 403,
                   "GET /api/v1/health without an Origin header is not refused with 403",
                   rest::status_text(health));
           return pass();
         }});
  c.add({.id = "4.4/4",
         .tier = Tier::Must,
         .group = Group::Rest,
         .requirement =
             "The Origin check MUST apply to every endpoint, health included (403, -32008).",
         .rules = {"4.4d"},
         .run = [](CaseContext& ctx) {
           require_rest(ctx);
           HttpRequest r = get("/api/v1/health");
           r.headers = {{"Origin", "https://evil.example"}};
           require_error_body(send(ctx, r), 403, -32008,
                              "GET /api/v1/health with Origin https://evil.example");
           return pass();
         }});
}

}  // namespace flake::conform
