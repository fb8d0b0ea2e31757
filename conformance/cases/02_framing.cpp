// §2.2-2.5 and 2.8: text and MessagePack messages, the encoding of answers, fragments and control
// frames, unparseable messages.

#include <algorithm>
#include <set>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"

namespace flake::conform {
namespace {

constexpr std::string_view kPing = R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})";

Outcome msgpack_error(CaseContext& ctx, std::string_view bytes, int code, std::string_view what) {
  require_msgpack_capability(ctx);
  auto rpc = ctx.connect();
  const Incoming in = send_binary_wait(ctx, *rpc, bytes);
  require_error(in, code, nullptr, what);
  ctx.require_usable(*rpc, "a " + std::to_string(code) + " answer");
  return pass();
}

Outcome msgpack_parse_error(CaseContext& ctx, std::string_view bytes, std::string_view what) {
  return msgpack_error(ctx, bytes, -32700, what);
}

// Waits (briefly) for a pong with this payload; reading keeps any other message queued.
bool saw_pong(CaseContext& ctx, RpcClient& rpc, const std::string& payload) {
  const Deadline until = ctx.deadline_after(std::chrono::milliseconds(1000));
  auto seen = [&] {
    const auto& pongs = rpc.ws().pongs();
    return std::find(pongs.begin(), pongs.end(), payload) != pongs.end();
  };
  for (;;) {
    if (seen()) return true;
    // Pongs are consumed inside receive(), which returns only with a message or at the deadline.
    const Incoming in = rpc.receive(std::min(until, deadline_in(std::chrono::milliseconds(20))));
    if (in.kind == Incoming::Kind::Value) {
      (is_notification(in.value) ? rpc.notifications() : rpc.stray_responses()).push_back(in.value);
    } else if (in.kind != Incoming::Kind::Timeout || Clock::now() >= until) {
      return seen();
    }
  }
}

Outcome parse_error(CaseContext& ctx, std::string_view text, std::string_view what) {
  auto rpc = ctx.connect();
  require_error(send_text_wait(ctx, *rpc, text), -32700, nullptr, what);
  ctx.require_usable(*rpc, "a -32700 answer");
  return pass();
}

}  // namespace

void add_s2_framing_cases(Catalog& c) {
  c.add({.id = "2.2/1",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST accept a text message containing one JSON value, "
                        "optionally surrounded by JSON whitespace.",
         .rules = {"2.2a", "2.2b"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           const Incoming in =
               send_text_wait(ctx, *rpc, std::string(" \r\n\t") + std::string(kPing) + " \n");
           require_result(in, 7, "system.ping surrounded by JSON whitespace");
           require(in.encoding == Encoding::Json, "a text answer", "a binary answer");
           return pass();
         }});
  c.add({.id = "2.3/1",
         .tier = Tier::Must,
         .requirement =
             "The sidecar MUST accept a binary message containing exactly one MessagePack object.",
         .rules = {"2.3a", "2.3f"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect();
           const Incoming in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(json::parse(kPing)));
           const json result = require_result(in, 7, "system.ping in a binary MessagePack message");
           require(has_integer(result, "now"), "result {\"now\":<integer>}", show(result));
           return pass();
         }});
  c.add({.id = "2.3/2",
         .tier = Tier::Must,
         .requirement = "A MessagePack map key that is not a str decodes but is not JSON-RPC: "
                        "-32600 with id null.",
         .rules = {"2.3d"},
         .run = [](CaseContext& ctx) {
           // fixmap with 4 entries, one of them keyed by the integer 1.
           std::string bytes =
               to_msgpack_bytes(json::parse(R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})"));
           bytes[0] = static_cast<char>(0x84);
           bytes += "\x01\x01";
           return msgpack_error(ctx, bytes, -32600, "a MessagePack map with an integer key");
         }});
  c.add({.id = "2.3/3",
         .tier = Tier::Must,
         .requirement =
             "Bytes left over after the first MessagePack object MUST be treated as a parse error.",
         .rules = {"2.3c", "2.8b"},
         .run = [](CaseContext& ctx) {
           return msgpack_parse_error(ctx,
                                      to_msgpack_bytes(json::parse(kPing)) + std::string("\xc0", 1),
                                      "a MessagePack object followed by one more byte");
         }});
  c.add({.id = "2.3/4",
         .tier = Tier::Must,
         .requirement = "A MessagePack ext value decodes but is not JSON-RPC: -32600 with id null.",
         .rules = {"2.3d"},
         .run = [](CaseContext& ctx) {
           json request = json::parse(kPing);
           request["params"] = {{"x", json::binary({0x00}, 1)}};  // fixext 1, type 1
           return msgpack_error(ctx, to_msgpack_bytes(request), -32600, "a MessagePack ext value");
         }});
  c.add(
      {.id = "2.3/5",
       .tier = Tier::Must,
       .requirement = "A truncated MessagePack object MUST be a parse error: -32700 with id null.",
       .rules = {"2.3c", "2.8b"},
       .run = [](CaseContext& ctx) {
         const std::string whole = to_msgpack_bytes(json::parse(kPing));
         return msgpack_parse_error(ctx, whole.substr(0, whole.size() - 3),
                                    "a MessagePack request cut 3 bytes short");
       }});
  // §2.3g: the whole message is refused, a batch included; none of its members runs.
  c.add({.id = "2.3/6",
         .tier = Tier::Must,
         .requirement = "A batch with an ext value or a non-str map key in one member MUST get one "
                        "-32600 object with id null, not an array.",
         .rules = {"2.3d", "2.3g"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect();
           json bad = json::parse(kPing);
           bad["id"] = 8;
           bad["params"] = {{"x", json::binary({0x00}, 1)}};  // fixext 1, type 1
           const json batch = json::array({json::parse(kPing), bad});
           Incoming in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(batch));
           require_error(in, -32600, nullptr, "a batch whose second member holds an ext value");
           // The second member again, its params now a map with the integer key 1.
           std::string bytes = to_msgpack_bytes(json::array({json::parse(kPing)}));
           bytes[0] = static_cast<char>(0x92);  // fixarray of 2
           std::string member =
               to_msgpack_bytes(json::parse(R"({"jsonrpc":"2.0","id":8,"method":"system.ping"})"));
           member[0] = static_cast<char>(0x84);
           member += "\x01\x01";
           in = send_binary_wait(ctx, *rpc, bytes + member);
           require_error(in, -32600, nullptr, "a batch whose second member has an integer map key");
           ctx.require_usable(*rpc, "two batches refused with -32600");
           return pass();
         }});
  c.add({.id = "2.3/7",
         .tier = Tier::Must,
         .requirement = "Every MessagePack integer and float family MUST read as a number, nil as "
                        "null and str as a string (request ids of each family echoed).",
         .rules = {"2.3b"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect();
           struct Probe {
             const char* family;
             std::string bytes;  // the id as MessagePack
             json id;            // as JSON
           };
           const Probe probes[] = {
               {"positive fixint", std::string("\x07", 1), 7},
               {"uint 8", std::string("\xcc\xc8", 2), 200},
               {"uint 16", std::string("\xcd\x01\x00", 3), 256},
               {"uint 32", std::string("\xce\x00\x01\x00\x00", 5), 65536},
               {"uint 64", std::string("\xcf\x00\x00\x01\x00\x00\x00\x00\x00", 9),
                std::int64_t{1} << 40},
               {"negative fixint", std::string("\xff", 1), -1},
               {"int 8", std::string("\xd0\x80", 2), -128},
               {"int 16", std::string("\xd1\xff\x00", 3), -256},
               {"int 32", std::string("\xd2\xff\xff\x00\x00", 5), -65536},
               {"int 64", std::string("\xd3\xff\xff\xff\xff\xff\xff\xff\xfe", 9), -2},
               {"float 32", std::string("\xca\x40\x20\x00\x00", 5), 2.5},
               {"float 64", std::string("\xcb\x40\x04\x00\x00\x00\x00\x00\x00", 9), 2.5},
               {"nil", std::string("\xc0", 1), nullptr},
               {"str 8",
                std::string("\xd9\x03"
                            "abc",
                            5),
                "abc"},
           };
           for (const Probe& p : probes) {
             const std::string bytes = std::string("\x83", 1) + to_msgpack_bytes("jsonrpc") +
                                       to_msgpack_bytes("2.0") + to_msgpack_bytes("method") +
                                       to_msgpack_bytes("system.ping") + to_msgpack_bytes("id") +
                                       p.bytes;
             const std::string what = std::string("system.ping with an id in a MessagePack ") +
                                      p.family + " (" + p.id.dump() + ")";
             const json& r = require_value(send_binary_wait(ctx, *rpc, bytes), what);
             const json id = r.value("id", json("missing"));
             const bool same = p.id.is_number()
                                   ? id.is_number() && id.get<double>() == p.id.get<double>()
                                   : id == p.id;
             require(same && r.contains("result"), what + ": a result with id " + p.id.dump(),
                     show(r));
           }
           return pass();
         }});
  // §2.3e: a bin where a string is expected: its base64 text, or -32602.
  c.add({.id = "2.3/8",
         .tier = Tier::Must,
         .requirement = "A MessagePack bin where a method expects a string is either read as the "
                        "base64 text of its bytes or answered -32602.",
         .rules = {"2.3e"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect_authenticated();
           // The six bytes whose base64 text is "supabase", a served service (5.2a).
           const std::vector<std::uint8_t> bytes = {178, 234, 90, 109, 171, 30};
           const json request = {{"jsonrpc", "2.0"},
                                 {"id", 8},
                                 {"method", "logs.subscribe"},
                                 {"params", {{"service", json::binary(bytes)}}}};
           const json& r = require_value(send_binary_wait(ctx, *rpc, to_msgpack_bytes(request)),
                                         "logs.subscribe with service a bin");
           const bool read_as_base64 =
               r.contains("result") && has_string(r["result"], "subscription");
           const bool refused = r.contains("error") && r["error"].is_object() &&
                                r["error"].value("code", 0) == -32602;
           require(r.value("id", json()) == 8 && (read_as_base64 || refused),
                   "a subscription (the bin read as \"supabase\", its base64 text) or -32602",
                   show(r));
           return pass();
         }});
  c.add({.id = "2.4/1",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST answer a request in the encoding of the message that "
                        "carried it, batches and -32700 included.",
         .rules = {"2.1a", "2.3f", "2.4a"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect();
           Incoming in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(json::parse(kPing)));
           require_result(in, 7, "binary system.ping");
           require(in.encoding == Encoding::MsgPack,
                   "the answer to a binary request in a binary message", "a text message");
           in = send_text_wait(ctx, *rpc, kPing);
           require_result(in, 7, "text system.ping");
           require(in.encoding == Encoding::Json, "the answer to a text request in a text message",
                   "a binary message");
           in = send_binary_wait(ctx, *rpc, std::string("\xc1", 1));
           require_error(in, -32700, nullptr, "binary message 0xc1 (never used in MessagePack)");
           require(in.encoding == Encoding::MsgPack,
                   "the -32700 for a binary message in a binary message", "a text message");
           const json batch = json::array(
               {json::parse(kPing), {{"jsonrpc", "2.0"}, {"id", 8}, {"method", "system.ping"}}});
           in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(batch));
           const json& answer = require_value(in, "an answer to a MessagePack batch");
           require(answer.is_array() && answer.size() == 2, "an array of 2 responses",
                   show(answer));
           require(in.encoding == Encoding::MsgPack, "the batch answer in a binary message",
                   "a text message");
           return pass();
         }});
  c.add({.id = "2.4/2",
         .tier = Tier::Must,
         .requirement =
             "Notifications of a subscription MUST use the encoding of its subscribe request.",
         .rules = {"2.4c"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect_authenticated();
           subscribe(ctx, *rpc, "logs.subscribe", {{"service", "supabase"}}, Encoding::MsgPack);
           const json id = "emit";
           rpc->send(make_request("test.emitLogs", {{"service", "supabase"}, {"count", 5}}, id));
           int binary = 0;
           for (;;) {
             const Incoming in = rpc->receive(ctx.deadline());
             const json& v = require_value(in, "notifications and the test.emitLogs response");
             if (is_notification(v)) {
               require(in.encoding == Encoding::MsgPack,
                       "logs.update in binary MessagePack, like the logs.subscribe request",
                       "a text message");
               ++binary;
               continue;
             }
             unimplemented_if_missing(in, "test.emitLogs");
             require(in.encoding == Encoding::Json, "the JSON test.emitLogs answered in text",
                     "binary");
             break;
           }
           require(binary > 0, "at least one logs.update",
                   "none before the test.emitLogs response");
           return pass();
         }});
  // §2.4b and §2.4d: the export answers in MessagePack whatever carried the request; its chunks
  // follow the format (§6.9c, §6.9d).
  c.add({.id = "2.4/3",
         .tier = Tier::Must,
         .requirement = "A logs.getLarge with \"format\":\"msgpack\" MUST be answered in a binary "
                        "message, text request included; data.chunk follows §6.9.",
         .rules = {"2.4a", "2.4b", "2.4d"},
         .run = [](CaseContext& ctx) {
           require_msgpack_capability(ctx);
           auto rpc = ctx.connect_authenticated();
           ctx.call_test_method(*rpc, "test.emitLogs", {{"service", "vercel"}, {"count", 5}});
           struct Probe {
             const char* format;
             Encoding request;
             Encoding response;
             Encoding chunks;
           };
           for (const Probe& p :
                {Probe{"msgpack", Encoding::Json, Encoding::MsgPack, Encoding::MsgPack},
                 Probe{"json", Encoding::MsgPack, Encoding::MsgPack, Encoding::Json}}) {
             const std::string what =
                 std::string("logs.getLarge with format ") + p.format +
                 (p.request == Encoding::Json ? " in a text message" : " in a binary message");
             const json id = std::string("large-") + p.format;
             rpc->send(make_request(
                           "logs.getLarge",
                           {{"service", "vercel"}, {"timeRange", "30d"}, {"format", p.format}}, id),
                       p.request);
             const Incoming in = rpc->wait_for_id(id, ctx.deadline());
             unimplemented_if_missing(in, "logs.getLarge");
             const json& r = require_value(in, what);
             require(has_object(r, "result") && has_integer(r["result"], "chunks"),
                     what + ": a metadata result with chunks", show(r));
             require(in.encoding == p.response,
                     what + ": the metadata response in a " +
                         (p.response == Encoding::MsgPack ? "binary" : "text") + " message",
                     in.encoding == Encoding::MsgPack ? "a binary message" : "a text message");
             const std::int64_t k = r["result"]["chunks"];
             for (std::int64_t i = 0; i < k; ++i) {
               const Incoming chunk = rpc->wait_for(
                   [](const json& v) {
                     return is_notification(v) && v.value("method", "") == "data.chunk";
                   },
                   ctx.deadline());
               require_value(chunk, what + ": " + std::to_string(k) + " data.chunk notifications");
               require(chunk.encoding == p.chunks,
                       what + ": each data.chunk in a " +
                           (p.chunks == Encoding::MsgPack ? "binary" : "text") + " message",
                       chunk.encoding == Encoding::MsgPack ? "a binary message" : "a text message");
             }
           }
           return pass();
         }});
  c.add({.id = "2.5/1",
         .tier = Tier::Must,
         .requirement = "The sidecar MUST accept fragmented messages and reassemble them.",
         .rules = {"2.5a"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           if (!rpc->ws().send_fragmented(Opcode::Text, kPing, 9))
             fail_case("fragments sent", "send failed");
           require_result(rpc->wait_for_response(ctx.deadline()), 7,
                          "system.ping in 9-byte fragments");
           return pass();
         }});
  c.add({.id = "2.5/2",
         .tier = Tier::Must,
         .requirement =
             "The sidecar MUST answer each client ping with a pong that carries the same payload.",
         .rules = {"2.5b"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           const std::string payload = "conformance-ping-\x01\xff";
           rpc->ws().send_ping(payload);
           // Wait first: the "actual" text must describe the pongs that arrived during the wait.
           const bool echoed = saw_pong(ctx, *rpc, payload);
           require(echoed, "a pong carrying the ping's payload",
                   rpc->ws().pongs().empty() ? "no pong"
                                             : "pong " + WireLog::hex_prefix(rpc->ws().pongs()[0]));
           return pass();
         }});
  c.add(
      {.id = "2.5/3",
       .tier = Tier::Must,
       .requirement = "The sidecar MUST accept control frames between the fragments of a message.",
       .rules = {"2.5b", "2.5c"},
       .run = [](CaseContext& ctx) {
         auto rpc = ctx.connect();
         const std::string_view text = kPing;
         rpc->ws().send_raw(encode_client_frame(Opcode::Text, text.substr(0, 10), false));
         rpc->ws().send_ping("between");
         rpc->ws().send_raw(encode_client_frame(Opcode::Continuation, text.substr(10, 10), false));
         rpc->ws().send_raw(encode_client_frame(Opcode::Pong, "unsolicited"));
         rpc->ws().send_raw(encode_client_frame(Opcode::Continuation, text.substr(20), true));
         require_result(rpc->wait_for_response(ctx.deadline()), 7,
                        "a fragmented request with a ping and a pong between its fragments");
         require(saw_pong(ctx, *rpc, "between"), "a pong for the ping between fragments",
                 "no pong");
         return pass();
       }});
  c.add({.id = "2.8/1",
         .tier = Tier::Must,
         .requirement = "A text message that is not valid JSON MUST be answered with -32700 and id "
                        "null, and the connection stays open.",
         .rules = {"2.8a", "2.8d"},
         .run = [](CaseContext& ctx) {
           return parse_error(ctx,
                              R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
                              "invalid JSON (JSON-RPC 2.0 spec example)");
         }});
  c.add({.id = "2.8/2",
         .tier = Tier::Must,
         .requirement =
             "Trailing non-whitespace after the first JSON value counts as invalid JSON (-32700).",
         .rules = {"2.8a", "2.8d"},
         .run = [](CaseContext& ctx) {
           return parse_error(ctx, std::string(kPing) + " x", "a request followed by ' x'");
         }});
  c.add({.id = "2.8/3",
         .tier = Tier::Must,
         .group = Group::MsgPack,
         .requirement = "A binary message that is not valid MessagePack MUST be answered with "
                        "-32700 and id null; the connection stays open.",
         .rules = {"2.3c", "2.8b", "2.8d"},
         .run = [](CaseContext& ctx) {
           return msgpack_parse_error(ctx, std::string("\xc1\x00\xff", 3),
                                      "binary message C1 00 FF (not MessagePack)");
         }});
  c.add({.id = "2.8/4",
         .tier = Tier::Must,
         .group = Group::MsgPack,
         .requirement = "A MessagePack str that is not valid UTF-8 MUST be answered with -32700.",
         .rules = {"2.3c", "2.8e"},
         .run = [](CaseContext& ctx) {
           json request = json::parse(kPing);
           request["method"] = std::string("system.ping\xff");
           return msgpack_parse_error(ctx, to_msgpack_bytes(request),
                                      "a MessagePack str with invalid UTF-8");
         }});
  c.add({.id = "2.8/5",
         .tier = Tier::Must,
         .requirement =
             "A truncated JSON message (docs example) is answered with -32700 and id null.",
         .rules = {"2.8a", "2.8d"},
         .run = [](CaseContext& ctx) {
           return parse_error(ctx, R"({"jsonrpc":"2.0","method":"system.ping","id":1)",
                              "a truncated request");
         }});
  c.add({.id = "2.8/6",
         .tier = Tier::Must,
         .requirement = "A message nested more deeply than 8.9 allows MUST be answered with -32700 "
                        "and id null; the connection stays open.",
         .rules = {"2.8c", "2.8d"},
         .run = [](CaseContext& ctx) {
           return parse_error(ctx, request_with_depth(65, 65), "a request of depth 65");
         }});
}

}  // namespace flake::conform
