// §8: rate limit, connection cap, slow peers, hostile MessagePack, nesting, numbers, graceful
// shutdown.

#include <algorithm>
#include <functional>
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
  // Pipelines batches of system.ping until one is refused. A sidecar that answers more than its
  // bucket can hold (burst + rate * elapsed) without refusing fails; one too slow to ever empty its
  // bucket (it answers fewer than `rate` requests a second, e.g. under a sanitizer on a loaded
  // machine) cannot be judged here, and the case says so instead of guessing.
  c.add(
      {.id = "8.3/1",
       .tier = Tier::Must,
       .requirement = "A request that finds the token bucket empty MUST get -32002 with data "
                      "{\"retryAfterMs\":n}, n >= 1.",
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
  // Trickles a request head that never ends, one byte every 400 ms: the clock runs from the accept,
  // not from the last byte.
  c.add({.id = "8.5/1",
         .tier = Tier::Must,
         .requirement = "A connection whose request head is not complete within 5,000 ms of the "
                        "accept MUST be closed, even while bytes keep trickling in.",
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
  c.add({.id = "8.11/1",
         .tier = Tier::Must,
         .requirement = "On SIGTERM the sidecar MUST send close 1001 on every WebSocket and exit "
                        "with status 0 within 2,000 ms.",
         .stops_sidecar = true,
         .run = graceful_shutdown});
}

}  // namespace flake::conform
