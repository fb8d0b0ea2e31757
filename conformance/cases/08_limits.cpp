// §8: rate limit, connection cap, slow peers, hostile MessagePack, nesting, numbers, graceful
// shutdown.

#include <algorithm>
#include <functional>
#include <map>
#include <string_view>
#include <thread>
#include <vector>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/rest_case_util.hpp"
#include "conformance/client/sidecar_process.hpp"
#include "conformance/harness/rpc_path.hpp"

namespace flake::conform {
namespace {

using std::chrono::milliseconds;

Outcome graceful_shutdown(CaseContext& ctx) {
  SidecarProcess* process = ctx.target().process;
  if (process == nullptr) {
    skip_case("needs a sidecar started by the harness (--spawn or --reference) to signal it");
  }
  auto rpc = ctx.connect_authenticated();
  const auto start = Clock::now();
  process->terminate();
  const Incoming in = rpc->receive(ctx.deadline_after(std::chrono::milliseconds(2500)));
  require_close(in, 1001, "an open WebSocket connection when the sidecar gets SIGTERM");
  while (process->running() && Clock::now() - start < std::chrono::milliseconds(2500)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  const auto how = process->exit_info();
  require(how.has_value() && waited <= 2000, "exit within 2,000 ms of SIGTERM",
          how ? "exited after " + std::to_string(waited) + " ms" : "still running after 2.5 s");
  require(how->exited && how->code == 0, "exit status 0",
          how->exited ? "exit status " + std::to_string(how->code)
                      : "signal " + std::to_string(how->signal));
  return pass("exited after " + std::to_string(waited) + " ms");
}

}  // namespace

void add_s8_limits_cases(Catalog& c) {
  const auto gap = [&c](const char* rule, const char* reason) {
    c.explain({.rule = rule, .why = Why::Gap, .reason = reason});
  };
  gap("8.1a",
      "A case needs to empty the buckets of two connections at once and see each admit at least "
      "burst requests.");
  gap("8.1b",
      "A case needs the sidecar started with --rate 0, then checks capabilities.rateLimit and "
      "that no request is refused.");
  gap("8.1d",
      "A case needs to empty the bucket, move the sidecar clock back with test.setClock and see "
      "the bucket refill.");
  const char* counting =
      "A case needs the sidecar started with a low --rate, so that the tokens each kind of "
      "message costs can be counted exactly.";
  for (const char* rule : {"8.2a", "8.2b", "8.2d", "8.2e", "8.2f", "8.2h", "8.2i", "8.2j"})
    gap(rule, counting);
  gap("8.2k",
      "A case needs a sidecar that keeps an HTTP connection open after a POST, to empty its "
      "bucket with actions and count them.");
  gap("8.2g",
      "A case needs a batch.execute request admitted while the bucket is nearly empty, with "
      "-32002 in the slots of the operations that found it empty.");
  gap("8.5b", "A case needs to declare a request body and withhold it for more than 10,000 ms.");
  const char* overflow =
      "A case needs a reader that stops reading while over 64 MiB of answers are queued for it, "
      "then sees close 1008 or the end of the connection and resumes the session.";
  for (const char* rule : {"8.7a", "8.7b", "8.7d"}) gap(rule, overflow);
  gap("8.7e",
      "A case needs a reader that stops reading until its queue overflows, then reads on and "
      "finds only whole frames before the close frame or the end of the connection.");
  c.explain({.rule = "8.7f",
             .why = Why::Untestable,
             .reason = "A peer that does not read cannot see the end of the TCP connection before "
                       "the bytes queued ahead of it, so when the sidecar closes is not visible "
                       "from outside."});
  gap("8.7c",
      "A case needs an SSE reader that stops reading while over 64 MiB of events are queued for "
      "it, and sees the response end.");
  gap("8.11a",
      "A case needs a new upgrade and a new SSE request sent after SIGTERM, neither of which may "
      "be answered with 101 or a stream.");
  gap("8.11c", "A case needs an SSE response open when the sidecar gets SIGTERM.");
  // Pipelined batches keep the bucket empty; each batch ends with a client notification, an invalid
  // member and a ping. Where the pings on both sides of them got -32002, the bucket was empty as
  // the two were read: the invalid member must still get -32600, the notification no answer.
  c.add({.id = "8.2/1",
         .tier = Tier::Must,
         .requirement = "While the bucket is empty, an invalid batch member MUST still get -32600 "
                        "and a valid client notification MUST be dropped without an answer.",
         .rules = {"8.2c", "8.3b"},
         .budget = milliseconds(20000),
         .run = [](CaseContext& ctx) {
           const json rl = ctx.capabilities().value("rateLimit", json());
           const double rate = rl.value("rate", 0.0);
           const double burst = rl.value("burst", 0.0);
           if (rate <= 0) skip_case("the rate limit is off (capabilities.rateLimit.rate 0)");
           if (burst + rate > 200000) skip_case("burst + rate too large to exhaust quickly");
           auto rpc = ctx.connect_authenticated();
           constexpr int kPings = 97;  // + notification + invalid member + ping = 100 members
           constexpr int kInFlight = 20;
           std::int64_t next_id = 0;
           int in_flight = 0;
           int judged = 0;   // batches read while the bucket was empty
           int limited = 0;  // batches with at least one -32002
           auto send_batch = [&] {
             json batch = json::array();
             for (int i = 0; i < kPings; ++i)
               batch.push_back(make_request("system.ping", nullptr, next_id++));
             batch.push_back({{"jsonrpc", "2.0"}, {"method", "system.ping"}});
             batch.push_back({{"jsonrpc", "2.0"}, {"method", 5}, {"id", "invalid"}});
             batch.push_back(make_request("system.ping", nullptr, next_id++));
             if (!rpc->send(batch))
               fail_case("every batch sent", "the connection closed while sending");
             ++in_flight;
           };
           auto refused = [](const json& m) {
             return m.contains("error") && m["error"].value("code", 0) == -32002;
           };
           auto receive_batch = [&] {
             const Incoming in = rpc->wait_for_response(ctx.deadline());
             const json& r = require_value(in, "an answer to every batch");
             require(r.is_array(), "batch answers", show(r, 200));
             --in_flight;
             bool any = false;
             for (const auto& m : r) any = any || refused(m);
             if (any) ++limited;
             require(r.size() == kPings + 2,
                     "one answer per request and the invalid member, none for the notification (" +
                         std::to_string(kPings + 2) + ")",
                     std::to_string(r.size()) + " answers" + (any ? ", some -32002" : ""));
             // Answers may come in any order: pings by their integer id, the rest is the invalid
             // member's answer.
             std::map<std::int64_t, const json*> pings;
             const json* invalid = nullptr;
             for (const auto& m : r) {
               const json id = m.value("id", json());
               if (id.is_number_integer()) {
                 pings[id.get<std::int64_t>()] = &m;
               } else {
                 invalid = &m;
               }
             }
             if (pings.empty()) return;
             const std::int64_t last = pings.rbegin()->first;
             const auto before = pings.find(last - 1);
             if (!refused(*pings.rbegin()->second) || before == pings.end() ||
                 !refused(*before->second) || invalid == nullptr) {
               return;
             }
             ++judged;
             require(invalid->contains("error") && (*invalid)["error"].value("code", 0) == -32600,
                     "-32600 for the invalid member while the bucket is empty",
                     show(*invalid, 200));
           };
           const auto started = Clock::now();
           while (judged < 20 && Clock::now() - started < milliseconds(12000)) {
             while (in_flight < kInFlight) send_batch();
             receive_batch();
           }
           while (in_flight > 0) receive_batch();
           if (judged == 0) {
             skip_case(limited == 0 ? "no -32002 in 12 s: the sidecar answers too slowly to empty "
                                      "its bucket"
                                    : "the bucket never stayed empty across the probe members");
           }
           return pass(std::to_string(judged) + " batches judged with the bucket empty");
         }});
  // Pipelines batches of system.ping until one is refused. A sidecar that answers more than its
  // bucket can hold (burst + rate * elapsed) without refusing fails; one too slow to ever empty its
  // bucket (it answers fewer than `rate` requests a second, e.g. under a sanitizer on a loaded
  // machine) cannot be judged here, and the case says so instead of guessing.
  c.add(
      {.id = "8.3/1",
       .tier = Tier::Must,
       .requirement = "A request that finds the token bucket empty MUST get -32002 with data "
                      "{\"retryAfterMs\":n}, n >= 1.",
       .rules = {"8.3a", "8.3d", "8.1c", "3.10b"},
       .budget = std::chrono::milliseconds(20000),
       .run = [](CaseContext& ctx) {
         const json& caps = ctx.capabilities();
         const json rl = caps.value("rateLimit", json());
         const double rate = rl.value("rate", 0.0);
         const double burst = rl.value("burst", 0.0);
         if (rate <= 0) skip_case("the rate limit is off (capabilities.rateLimit.rate 0)");
         if (burst + rate > 200000) skip_case("burst + rate too large to exhaust quickly");
         auto rpc = ctx.connect_authenticated();
         constexpr int kBatch = 100;
         constexpr int kInFlight = 20;  // batches sent ahead of their answers
         const auto budget = std::chrono::milliseconds(12000);
         const std::int64_t max_requests = static_cast<std::int64_t>(burst + rate * 12) + 1000;
         const auto started = std::chrono::steady_clock::now();
         std::int64_t sent = 0;
         std::int64_t answered = 0;
         int in_flight = 0;
         int limited = 0;
         json example;
         auto send_batch = [&] {
           json batch = json::array();
           for (int i = 0; i < kBatch; ++i)
             batch.push_back(make_request("system.ping", nullptr, sent + i));
           if (!rpc->send(batch))
             fail_case("every batch sent", "the connection closed while sending");
           sent += kBatch;
           ++in_flight;
         };
         auto receive_batch = [&] {
           const Incoming in = rpc->wait_for_response(ctx.deadline());
           const json& r =
               require_value(in, "an answer to every batch (the rate limit never closes)");
           require(r.is_array(), "batch answers", show(r));
           --in_flight;
           for (const auto& m : r) {
             ++answered;
             if (m.contains("error") && m["error"].value("code", 0) == -32002 && limited++ == 0)
               example = m;
           }
         };
         while (limited == 0 && sent < max_requests &&
                std::chrono::steady_clock::now() - started < budget) {
           while (in_flight < kInFlight && sent < max_requests) send_batch();
           receive_batch();
         }
         while (in_flight > 0) receive_batch();
         const double elapsed_s =
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
         if (limited == 0) {
           // The sidecar's own clock ran no longer than ours, so its bucket held at most this
           // many tokens.
           const double capacity = burst + rate * elapsed_s;
           const double per_second = static_cast<double>(answered) / elapsed_s;
           if (static_cast<double>(answered) > capacity * 1.05 + kBatch * kInFlight) {
             fail_case("-32002 for requests beyond burst + refill",
                       std::to_string(answered) + " requests answered in " + fmt(elapsed_s) +
                           " s without one -32002 (a bucket of burst " + fmt(burst) +
                           " refilling at " + fmt(rate) + "/s holds at most " + fmt(capacity) +
                           ")");
           }
           skip_case("the sidecar answered " + std::to_string(static_cast<long long>(per_second)) +
                     " requests/s, too few to empty a bucket refilling at " + fmt(rate) +
                     "/s; run it on a quieter machine or with a lower rate");
         }
         const json& data = example["error"].value("data", json());
         require(has_integer(data, "retryAfterMs") && data["retryAfterMs"].get<std::int64_t>() >= 1,
                 "-32002 with data {\"retryAfterMs\":<integer >= 1>}", show(example));
         return pass();
       }});
  c.add(
      {.id = "8.4/1",
       .tier = Tier::Must,
       .requirement =
           "A /rpc upgrade when 64 connections are open MUST get HTTP 503, Retry-After and -32003.",
       .rules = {"8.4a", "8.4b", "8.4c"},
       .budget = std::chrono::milliseconds(20000),
       .run = [](CaseContext& ctx) {
         // Connections of earlier cases may take a moment to leave the sidecar's books.
         std::this_thread::sleep_for(std::chrono::milliseconds(300));
         std::vector<std::unique_ptr<RpcClient>> open;
         int refused_at = 0;
         ConnectResult refusal;
         for (int i = 1; i <= 70 && refused_at == 0; ++i) {
           auto [rpc, r] = ctx.try_connect(ctx.options());
           if (r.upgraded) {
             open.push_back(std::move(rpc));
           } else {
             refused_at = i;
             refusal = r;
           }
         }
         require(refused_at != 0, "HTTP 503 once 64 connections are open",
                 "70 connections accepted");
         require(refused_at == 65, "the first refusal at the 65th connection (cap 64)",
                 "refusal at connection " + std::to_string(refused_at) + " (HTTP " +
                     std::to_string(refusal.status) + ")");
         require_refusal(refusal, 503, -32003, "the 65th connection");
         require(refusal.head.header("retry-after").has_value(), "a Retry-After header on the 503",
                 "no Retry-After");
         open.clear();
         return pass();
       }});
  // 64 sessions detached by closing their connections, and a kept-alive HTTP connection that has
  // had its answer: none of them may keep any of 64 new upgrades out.
  c.add({.id = "8.4/2",
         .tier = Tier::Must,
         .requirement = "Detached sessions and plain HTTP connections MUST NOT count toward the "
                        "cap: 64 upgrades succeed beside 64 detached sessions and an HTTP "
                        "connection.",
         .rules = {"8.4d", "8.4a"},
         .budget = milliseconds(20000),
         .run = [](CaseContext& ctx) {
           {
             // Earlier cases' connections may take a moment to leave the sidecar's books: a refusal
             // here is retried for up to 3 s.
             std::vector<std::unique_ptr<RpcClient>> first;
             const auto give_up = Clock::now() + milliseconds(3000);
             while (first.size() < 64) {
               auto [rpc, r] = ctx.try_connect(ctx.options());
               if (!r.upgraded) {
                 require(Clock::now() < give_up,
                         "64 upgrades (earlier cases' sessions are detached, not open)",
                         "connection " + std::to_string(first.size() + 1) + " refused with HTTP " +
                             std::to_string(r.status) + " for 3 s");
                 std::this_thread::sleep_for(milliseconds(100));
                 continue;
               }
               ctx.authenticate(*rpc);
               first.push_back(std::move(rpc));
             }
           }                                                 // closed: 64 detached sessions
           std::this_thread::sleep_for(milliseconds(1000));  // the sidecar notices the ends
           const Url& url = ctx.target().url;
           TcpSocket http;
           if (!http.connect(url.host, url.port, ctx.deadline()))
             fail_case("a TCP connection to the sidecar", http.error());
           const std::string get = "GET /api/v1/health HTTP/1.1\r\nHost: " + url.authority +
                                   "\r\nConnection: keep-alive\r\n\r\n";
           if (http.send_all(get, ctx.deadline()) != IoStatus::Ok)
             fail_case("GET /api/v1/health sent", http.error());
           std::string answer;
           char buf[1024];
           while (answer.find("\r\n\r\n") == std::string::npos) {
             const RecvResult r = http.recv_some(buf, sizeof buf, ctx.deadline());
             if (r.status != IoStatus::Ok) fail_case("an answer to GET /api/v1/health", "none");
             answer.append(buf, r.bytes);
           }
           std::vector<std::unique_ptr<RpcClient>> open;
           for (int i = 1; i <= 64; ++i) {
             auto [rpc, r] = ctx.try_connect(ctx.options());
             require(r.upgraded,
                     "64 upgrades beside 64 detached sessions and an open HTTP connection",
                     "connection " + std::to_string(i) + " refused with HTTP " +
                         std::to_string(r.status));
             open.push_back(std::move(rpc));
           }
           return pass();
         }});
  // Trickles a request head that never ends, one byte every 400 ms: the clock runs from the accept,
  // not from the last byte.
  c.add({.id = "8.5/1",
         .tier = Tier::Must,
         .requirement = "A connection whose request head is not complete within 5,000 ms of the "
                        "accept MUST be closed, even while bytes keep trickling in.",
         .rules = {"8.5a"},
         .budget = milliseconds(15000),
         .run = [](CaseContext& ctx) {
           TcpSocket s;
           if (!s.connect(ctx.target().url.host, ctx.target().url.port, ctx.deadline())) {
             fail_case("a TCP connection to the sidecar", s.error());
           }
           const auto opened = Clock::now();
           const std::string start = "GET " + ctx.target().url.path +
                                     " HTTP/1.1\r\nHost: " + ctx.target().url.authority +
                                     "\r\nX-Slow: ";
           if (s.send_all(start, ctx.deadline()) != IoStatus::Ok)
             fail_case("the first bytes sent", s.error());
           const auto bound = milliseconds(5000) + kSlack;
           char buf[512];
           while (Clock::now() - opened < bound + milliseconds(500)) {
             const RecvResult r = s.recv_some(buf, sizeof buf, deadline_in(milliseconds(400)));
             if (r.status == IoStatus::Eof || r.status == IoStatus::Error) {
               const long long after = ms_between(opened, Clock::now());
               require(Clock::now() - opened <= bound,
                       "the connection closed within 5,000 ms of the accept",
                       "closed after " + std::to_string(after) + " ms");
               return pass("closed after " + std::to_string(after) + " ms");
             }
             // A response (say 408) is allowed; the close is what counts. Keep trickling otherwise.
             if (r.status == IoStatus::Timeout && s.send_all("a", ctx.deadline()) != IoStatus::Ok) {
               return pass("closed (send failed) after " +
                           std::to_string(ms_between(opened, Clock::now())) + " ms");
             }
           }
           fail_case("the connection closed within 5,000 ms of the accept",
                     "still open after " + std::to_string(ms_between(opened, Clock::now())) +
                         " ms of a head trickled one byte per 400 ms");
         }});
  c.add({.id = "8.5/2",
         .tier = Tier::Must,
         .requirement = "A request head of 8 KiB MUST be accepted.",
         .rules = {"8.5c"},
         .run = [](CaseContext& ctx) {
           const Url& url = ctx.target().url;
           std::string head =
               "GET " + url.path + " HTTP/1.1\r\nHost: " + url.authority +
               "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               "X-Pad: ";
           const std::size_t total = 8192;
           const std::size_t tail = 4;  // "\r\n\r\n"
           require(head.size() + tail < total, "a head template shorter than 8 KiB",
                   std::to_string(head.size()));
           head.append(total - head.size() - tail, 'p');
           head += "\r\n\r\n";
           TcpSocket s;
           if (!s.connect(url.host, url.port, ctx.deadline()))
             fail_case("a TCP connection to the sidecar", s.error());
           if (s.send_all(head, ctx.deadline()) != IoStatus::Ok)
             fail_case("an 8,192-byte head sent", s.error());
           std::string answer;
           char buf[512];
           while (answer.find("\r\n") == std::string::npos) {
             const RecvResult r = s.recv_some(buf, sizeof buf, ctx.deadline());
             if (r.status != IoStatus::Ok) break;
             answer.append(buf, r.bytes);
           }
           const std::string status_line = answer.substr(0, answer.find("\r\n"));
           require(status_line.rfind("HTTP/1.1 101", 0) == 0,
                   "HTTP/1.1 101 for an upgrade request whose head is exactly 8,192 bytes",
                   status_line.empty() ? "no answer" : status_line);
           return pass();
         }});
  c.add(
      {.id = "8.8/1",
       .tier = Tier::Must,
       .requirement =
           "A MessagePack str/bin/array/map declaring more bytes than are left MUST get -32700.",
       .rules = {"8.8a", "8.8b"},
       .run = [](CaseContext& ctx) {
         require_msgpack_capability(ctx);
         auto rpc = ctx.connect();
         const std::pair<std::string, const char*> cases[] = {
             {std::string("\xdd\xff\xff\xff\xff", 5), "array 32 declaring 4,294,967,295 elements"},
             {std::string("\xdf\xff\xff\xff\xff\x01", 6), "map 32 declaring 4,294,967,295 entries"},
             {std::string("\xdb\xff\xff\xff\xf0"
                          "abc",
                          8),
              "str 32 declaring 4 GiB"},
             {std::string("\xc6\x7f\xff\xff\xff\x00", 6), "bin 32 declaring 2 GiB"},
             {std::string("\x81\xa6method\xdb\x00\x10\x00\x00x", 14),
              "str inside a map declaring 1 MiB"},
         };
         for (const auto& [bytes, what] : cases) {
           require_error(send_binary_wait(ctx, *rpc, bytes), -32700, nullptr, what);
         }
         ctx.require_usable(*rpc, "hostile MessagePack lengths");
         return pass();
       }});
  c.add({.id = "8.9/1",
         .tier = Tier::Must,
         .requirement = "Messages of depth 64 MUST be accepted; depth greater than 64 MUST get "
                        "-32700 with id null.",
         .rules = {"8.9a", "8.9b", "8.9c"},
         .paths = kJsonTextPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           require_result(path->send(request_with_depth(64, 64)), 64, "a request of depth 64");
           require_error(path->send(request_with_depth(65, 65)), -32700, nullptr,
                         "a request of depth 65");
           require_error(path->send(nested_arrays(100000)), -32700, nullptr,
                         "a message of depth 100,000");
           require_usable(*path, "messages nested too deeply");
           return pass();
         }});
  c.add({.id = "8.9/2",
         .tier = Tier::Must,
         .requirement = "The batch array counts as one level of depth.",
         .rules = {"8.9a", "8.9b"},
         .paths = kJsonTextPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           // The batch array is one level: a member of depth 63 makes a message of depth 64.
           const std::string ok = "[" + request_with_depth(63, 1) + "]";
           const json& r = require_value(path->send(ok), "an answer to a batch of depth 64");
           require(r.is_array() && r.size() == 1 && r[0].contains("result"),
                   "a batch of depth 64 is accepted: [result]", show(r));
           require_error(path->send("[" + request_with_depth(64, 2) + "]"), -32700, nullptr,
                         "a batch of depth 65");
           return pass();
         }});
  c.add({.id = "8.9/3",
         .tier = Tier::Must,
         .group = Group::MsgPack,
         .requirement = "The depth limit applies to MessagePack messages alike.",
         .rules = {"8.9a", "8.9b"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect();
           json deep = 0;
           for (int i = 0; i < 63; ++i) deep = json::array({deep});
           json request = json::parse(R"({"jsonrpc":"2.0","id":1,"method":"system.ping"})");
           request["params"] = {{"x", deep[0]}};  // depth 1 + 1 + 62 = 64
           require_result(send_binary_wait(ctx, *rpc, to_msgpack_bytes(request)), 1,
                          "a MessagePack request of depth 64");
           request["params"] = {{"x", deep}};  // 65
           require_error(send_binary_wait(ctx, *rpc, to_msgpack_bytes(request)), -32700, nullptr,
                         "a MessagePack request of depth 65");
           return pass();
         }});
  c.add({.id = "8.10/1",
         .tier = Tier::Must,
         .group = Group::Core,
         .requirement =
             "When an object has duplicate keys, the sidecar MUST use the last occurrence.",
         .rules = {"8.10a"},
         .paths = kJsonTextPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           require_result(path->send(R"({"jsonrpc":"2.0","method":"system.ping","id":1,"id":2})"),
                          2, "the docs example with id 1 then id 2");
           require_result(
               path->send(R"({"jsonrpc":"2.0","method":"nope","method":"system.ping","id":3})"), 3,
               "method \"nope\" then \"system.ping\"");
           return pass();
         }});
  c.add({.id = "8.10/2",
         .tier = Tier::Must,
         .requirement = "A lone surrogate escape (\"\\ud800\") MUST NOT crash the sidecar.",
         .rules = {"8.10c"},
         .paths = kJsonTextPaths,
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const Incoming in = path->send(
               R"({"jsonrpc":"2.0","method":"system.ping","id":1,"params":{"s":"\ud800"}})");
           const json& r = require_value(in, "an answer to a request containing \"\\ud800\"");
           require_response_shape(r, "lone surrogate");
           require_usable(*path, "a lone surrogate escape");
           return pass();
         }});
  // Numbers beyond a double's range or precision and strings of a mebibyte, as params of
  // system.ping (a sidecar may ignore them, or refuse them as params).
  c.add({.id = "8.10/3",
         .tier = Tier::Must,
         .requirement = "Extreme JSON numbers and long strings MUST NOT crash the sidecar: each "
                        "gets a normal answer, -32700, -32600 or -32602.",
         .rules = {"8.10b"},
         .paths = kJsonTextPaths,
         .budget = milliseconds(15000),
         .run = [](CaseContext& ctx) {
           auto path = open_rpc_path(ctx);
           const std::string digits(400, '9');
           const std::pair<std::string, std::string> values[] = {
               {"1e400", "1e400"},
               {"-1e400", "-1e400"},
               {"1e-400", "1e-400"},
               {"-0", "-0"},
               {"2.5E+308", "2.5E+308"},
               {digits, "an integer of 400 digits"},
               {"-" + digits + "." + digits, "a decimal of 800 digits"},
               {"\"" + std::string(1 << 20, 's') + "\"", "a string of 1 MiB"},
           };
           int id = 0;
           for (const auto& [value, what] : values) {
             ++id;
             const std::string text = R"({"jsonrpc":"2.0","method":"system.ping","id":)" +
                                      std::to_string(id) + R"(,"params":{"x":)" + value + "}}";
             const json& r = require_value(path->send(text), "an answer to params " + what);
             require_response_shape(r, what);
             if (r.contains("error")) {
               const int code = r["error"].value("code", 0);
               require(code == -32700 || code == -32600 || code == -32602,
                       "a result, -32700, -32600 or -32602 for params " + what, show(r, 200));
             }
           }
           const std::string method(100000, 'm');
           const json& r =
               require_value(path->send(R"({"jsonrpc":"2.0","id":99,"method":")" + method + "\"}"),
                             "an answer to a method name of 100,000 characters");
           require_response_shape(r, "a method name of 100,000 characters");
           require_usable(*path, "extreme numbers and long strings");
           return pass();
         }});
  c.add({.id = "8.11/1",
         .tier = Tier::Must,
         .requirement = "On SIGTERM the sidecar MUST send close 1001 on every WebSocket and exit "
                        "with status 0 within 2,000 ms.",
         .rules = {"8.11b", "8.11d"},
         .stops_sidecar = true,
         .run = graceful_shutdown});
}

}  // namespace flake::conform
