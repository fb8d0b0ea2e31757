// §4.1-4.4: the secret token, token handling, the Host check and the Origin check, on upgrades and
// HTTP requests.

#include <algorithm>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
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
  c.explain({.rule = "4.1c",
             .why = Why::Untestable,
             .reason = "How much randomness a generated token holds cannot be observed from "
                       "outside the sidecar."});
  c.explain({.rule = "4.2a",
             .why = Why::Untestable,
             .reason = "Whether a comparison takes the same time wherever the first mismatch is "
                       "cannot be measured reliably from outside the sidecar."});
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
         // The failure's log line may still be on its way through the output reader.
         require(!ctx.target().process->wait_secret(std::chrono::milliseconds(300)),
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
  // §4.1, §4.3d: a sidecar process of the case's own (§11.7 says how it is started).
  c.add({.id = "4.1/1",
         .tier = Tier::Must,
         .requirement =
             "With --token-file, the token MUST be the file's content without leading "
             "and trailing blanks and line breaks (a file \"  \\n\\t TOKEN \\r\\n\\n\").",
         .rules = {"4.1a"},
         .run = [](CaseContext& ctx) {
           const std::string token = "flake-4.1-" + random_token();
           std::string error;
           const std::optional<TempFile> file =
               write_temp_file("flake-conform-4.1", "  \n\t " + token + " \r\n\n", error);
           if (!file) fail_case("a token file of the case", error);
           StartSpec spec;
           spec.extra = {"--token-file", file->path()};
           const StartAttempt s = start_own_sidecar(ctx, spec, "a token file with blanks");
           const Url url = require_listening(ctx, s, "a token file with blanks");
           auto rpc = ctx.client();
           authenticate_at(ctx, *rpc, url, token, "the token without its blanks");
           return pass();
         }});
  c.add({.id = "4.1/2",
         .tier = Tier::Must,
         .requirement = "Started without --token-file and with FLAKE_SIDECAR_TOKEN set (the suite "
                        "composes the command: --reference), the sidecar MUST take that value as "
                        "its token.",
         .rules = {"4.1b"},
         .run = [](CaseContext& ctx) {
           const std::string token = "flake-env-" + random_token();
           StartSpec spec;
           spec.without_token_file = true;
           spec.env = {{"FLAKE_SIDECAR_TOKEN", token}};
           const StartAttempt s = start_own_sidecar(ctx, spec, "the token in the environment");
           const Url url = require_listening(ctx, s, "the token in the environment");
           auto rpc = ctx.client();
           authenticate_at(ctx, *rpc, url, token, "the FLAKE_SIDECAR_TOKEN value");
           return pass();
         }});
  c.add({.id = "4.1/3",
         .tier = Tier::Must,
         .requirement = "Started with neither --token-file nor FLAKE_SIDECAR_TOKEN (--reference), "
                        "the sidecar MUST print its generated token on standard output exactly "
                        "once: one word of 20 or more characters there authenticates, and it "
                        "appears once in all the output.",
         .rules = {"4.1d"},
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.without_token_file = true;
           spec.env = {{"FLAKE_SIDECAR_TOKEN", std::nullopt}};
           const StartAttempt s = start_own_sidecar(ctx, spec, "no token given");
           const Url url = require_listening(ctx, s, "no token given");
           std::this_thread::sleep_for(std::chrono::milliseconds(200));
           // 128 bits in printable non-space ASCII take at least 20 characters.
           std::vector<std::string> words;
           for (const OutputLine& line : s.process->stdout_lines()) {
             std::istringstream in(line.text);
             for (std::string w; in >> w;) {
               if (w.size() >= 20 && w.size() <= 1024 && w.find("://") == std::string::npos &&
                   std::find(words.begin(), words.end(), w) == words.end()) {
                 words.push_back(w);
               }
             }
           }
           std::optional<std::string> token;
           for (const std::string& w : words) {
             auto rpc = ctx.client();
             require_upgraded(rpc->connect(url, ctx.options()), "a connection to try a word");
             const Incoming in = rpc->authenticate(w, client_info(), ctx.timeout());
             if (in.is_value() && in.value.contains("result")) {
               token = w;
               break;
             }
           }
           if (!token) {
             fail_case("a word of standard output that authenticates",
                       std::to_string(words.size()) + " candidates, none does; output:\n" +
                           s.process->output_tail());
           }
           s.process->stop();
           const std::string all = s.process->output_tail();
           std::size_t count = 0;
           for (std::size_t at = all.find(*token); at != std::string::npos;
                at = all.find(*token, at + 1)) {
             ++count;
           }
           require(count == 1, "the generated token printed once",
                   "printed " + std::to_string(count) + " times");
           return pass();
         }});
  c.add({.id = "4.1/4",
         .tier = Tier::Must,
         .requirement = "With a token file that cannot be read, or that is blank, the sidecar MUST "
                        "exit with a non-zero status without a start-up line.",
         .rules = {"4.1e"},
         .budget = std::chrono::milliseconds(15000),
         .run = [](CaseContext& ctx) {
           std::string error;
           const std::optional<TempFile> blank =
               write_temp_file("flake-conform-4.1-blank", "  \n\t\r\n", error);
           if (!blank) fail_case("a token file of the case", error);
           const std::pair<std::string, std::string> files[] = {
               {blank->path() + ".missing/token", "a token file that cannot be read"},
               {blank->path(), "a blank token file"}};
           for (const auto& [path, what] : files) {
             StartSpec spec;
             spec.extra = {"--token-file", path};
             spec.timeout = std::chrono::milliseconds(5000);
             require_start_refused(start_own_sidecar(ctx, spec, what), what);
           }
           return pass();
         }});
  c.add({.id = "4.1/5",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST accept tokens of 1 and of 1,024 printable non-space "
                        "ASCII characters, the long one using every character 0x21-0x7E.",
         .rules = {"4.1f"},
         .budget = std::chrono::milliseconds(15000),
         .run = [](CaseContext& ctx) {
           std::string all;
           while (all.size() < 1024) all.push_back(static_cast<char>(0x21 + all.size() % 94));
           for (const std::string& token : {std::string("~"), all}) {
             const std::string what = "a token of " + std::to_string(token.size()) + " characters";
             std::string error;
             const std::optional<TempFile> file =
                 write_token_file("flake-conform-4.1", token, error);
             if (!file) fail_case("a token file of the case", error);
             StartSpec spec;
             spec.extra = {"--token-file", file->path()};
             const StartAttempt s = start_own_sidecar(ctx, spec, what);
             const Url url = require_listening(ctx, s, what);
             auto rpc = ctx.client();
             authenticate_at(ctx, *rpc, url, token, what);
           }
           return pass();
         }});
  c.add({.id = "4.3/7",
         .tier = Tier::Must,
         .requirement = "Started with --allow-host Flake-Rebind.test, the sidecar MUST accept "
                        "the Host values flake-rebind.test, FLAKE-REBIND.TEST:<port> and "
                        "flake-rebind.test:<port> on an upgrade.",
         .rules = {"4.3d"},
         .run = [](CaseContext& ctx) {
           StartSpec spec;
           spec.extra = {"--allow-host", "Flake-Rebind.test"};
           const StartAttempt s = start_own_sidecar(ctx, spec, "--allow-host Flake-Rebind.test");
           const Url url = require_listening(ctx, s, "--allow-host Flake-Rebind.test");
           const std::string port = std::to_string(url.port);
           for (const std::string& host :
                {std::string("flake-rebind.test"), "FLAKE-REBIND.TEST:" + port,
                 "flake-rebind.test:" + port}) {
             ConnectOptions o = ctx.options();
             o.host_header = host;
             auto rpc = ctx.client();
             require_upgraded(rpc->connect(url, o), "an upgrade with Host " + host);
           }
           return pass();
         }});
}

}  // namespace flake::conform
