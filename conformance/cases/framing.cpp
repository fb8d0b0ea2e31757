// §2: text and binary messages, answer encoding, fragmentation and control frames, protocol
// errors (1002), invalid UTF-8 (1007), unparseable messages (-32700) and the size limit (1009).
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"

#include <algorithm>

namespace flake::conform {
namespace {

constexpr std::string_view kPing = R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})";

Outcome text_with_whitespace(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const Incoming in =
      send_text_wait(ctx, *rpc, std::string(" \r\n\t") + std::string(kPing) + " \n");
  require_result(in, 7, "system.ping surrounded by JSON whitespace");
  require(in.encoding == Encoding::Json, "a text answer", "a binary answer");
  return pass();
}

Outcome msgpack_request(CaseContext& ctx) {
  require_msgpack_capability(ctx);
  auto rpc = ctx.connect();
  const Incoming in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(json::parse(kPing)));
  const json result = require_result(in, 7, "system.ping in a binary MessagePack message");
  require(result.is_object() && result.contains("now") && result["now"].is_number_integer(),
          "result {\"now\":<integer>}", show(result));
  return pass();
}

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

Outcome msgpack_non_string_key(CaseContext& ctx) {
  // fixmap with 4 entries, one of them keyed by the integer 1.
  std::string bytes =
      to_msgpack_bytes(json::parse(R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})"));
  bytes[0] = static_cast<char>(0x84);
  bytes += "\x01\x01";
  return msgpack_error(ctx, bytes, -32600, "a MessagePack map with an integer key");
}

Outcome msgpack_trailing_bytes(CaseContext& ctx) {
  return msgpack_parse_error(ctx, to_msgpack_bytes(json::parse(kPing)) + std::string("\xc0", 1),
                             "a MessagePack object followed by one more byte");
}

Outcome msgpack_ext_value(CaseContext& ctx) {
  json request = json::parse(kPing);
  request["params"] = {{"x", json::binary({0x00}, 1)}};  // fixext 1, type 1
  return msgpack_error(ctx, to_msgpack_bytes(request), -32600, "a MessagePack ext value");
}

Outcome answer_encoding(CaseContext& ctx) {
  require_msgpack_capability(ctx);
  auto rpc = ctx.connect();
  Incoming in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(json::parse(kPing)));
  require_result(in, 7, "binary system.ping");
  require(in.encoding == Encoding::MsgPack, "the answer to a binary request in a binary message",
          "a text message");
  in = send_text_wait(ctx, *rpc, kPing);
  require_result(in, 7, "text system.ping");
  require(in.encoding == Encoding::Json, "the answer to a text request in a text message",
          "a binary message");
  in = send_binary_wait(ctx, *rpc, std::string("\xc1", 1));
  require_error(in, -32700, nullptr, "binary message 0xc1 (never used in MessagePack)");
  require(in.encoding == Encoding::MsgPack, "the -32700 for a binary message in a binary message",
          "a text message");
  const json batch =
      json::array({json::parse(kPing), {{"jsonrpc", "2.0"}, {"id", 8}, {"method", "system.ping"}}});
  in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(batch));
  const json& answer = require_value(in, "an answer to a MessagePack batch");
  require(answer.is_array() && answer.size() == 2, "an array of 2 responses", show(answer));
  require(in.encoding == Encoding::MsgPack, "the batch answer in a binary message",
          "a text message");
  return pass();
}

Outcome fragmented_request(CaseContext& ctx) {
  auto rpc = ctx.connect();
  if (!rpc->ws().send_fragmented(Opcode::Text, kPing, 9))
    fail_case("fragments sent", "send failed");
  require_result(rpc->wait_for_response(ctx.deadline()), 7, "system.ping in 9-byte fragments");
  return pass();
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

Outcome ping_answered(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const std::string payload = "conformance-ping-\x01\xff";
  rpc->ws().send_ping(payload);
  // Wait first: the "actual" text must describe the pongs that arrived during the wait.
  const bool echoed = saw_pong(ctx, *rpc, payload);
  require(
      echoed, "a pong carrying the ping's payload",
      rpc->ws().pongs().empty() ? "no pong" : "pong " + WireLog::hex_prefix(rpc->ws().pongs()[0]));
  return pass();
}

Outcome control_between_fragments(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const std::string_view text = kPing;
  rpc->ws().send_raw(encode_client_frame(Opcode::Text, text.substr(0, 10), false));
  rpc->ws().send_ping("between");
  rpc->ws().send_raw(encode_client_frame(Opcode::Continuation, text.substr(10, 10), false));
  rpc->ws().send_raw(encode_client_frame(Opcode::Pong, "unsolicited"));
  rpc->ws().send_raw(encode_client_frame(Opcode::Continuation, text.substr(20), true));
  require_result(rpc->wait_for_response(ctx.deadline()), 7,
                 "a fragmented request with a ping and a pong between its fragments");
  require(saw_pong(ctx, *rpc, "between"), "a pong for the ping between fragments", "no pong");
  return pass();
}

Outcome utf8_split_across_fragments(CaseContext& ctx) {
  auto rpc = ctx.connect();
  // U+1F600 is F0 9F 98 80: the fragment boundary falls inside it.
  const std::string text =
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"system.ping\",\"params\":{\"s\":"
      "\"\xF0\x9F\x98\x80\"}}";
  const std::size_t cut = text.find('\xF0') + 2;
  rpc->ws().send_raw(
      encode_client_frame(Opcode::Text, std::string_view(text).substr(0, cut), false));
  rpc->ws().send_raw(encode_client_frame(Opcode::Continuation, std::string_view(text).substr(cut)));
  require_result(rpc->wait_for_response(ctx.deadline()), 7,
                 "a valid text message whose 4-byte character is split across two fragments");
  return pass();
}

Outcome parse_error(CaseContext& ctx, std::string_view text, std::string_view what) {
  auto rpc = ctx.connect();
  require_error(send_text_wait(ctx, *rpc, text), -32700, nullptr, what);
  ctx.require_usable(*rpc, "a -32700 answer");
  return pass();
}

Outcome msgpack_invalid_utf8(CaseContext& ctx) {
  json request = json::parse(kPing);
  request["method"] = std::string("system.ping\xff");
  return msgpack_parse_error(ctx, to_msgpack_bytes(request),
                             "a MessagePack str with invalid UTF-8");
}

}  // namespace

void add_framing_cases(Catalog& c) {
  c.add({"2.2/1", Tier::Must, Group::Framing,
         "The sidecar MUST accept a text message containing one JSON value, optionally surrounded "
         "by JSON whitespace.",
         text_with_whitespace});
  c.add({"2.3/1", Tier::Must, Group::MsgPack,
         "The sidecar MUST accept a binary message containing exactly one MessagePack object.",
         msgpack_request});
  c.add(
      {"2.3/2", Tier::Must, Group::MsgPack,
       "A MessagePack map key that is not a str decodes but is not JSON-RPC: -32600 with id null.",
       msgpack_non_string_key});
  c.add({"2.3/3", Tier::Must, Group::MsgPack,
         "Bytes left over after the first MessagePack object MUST be treated as a parse error.",
         msgpack_trailing_bytes});
  c.add({"2.3/4", Tier::Must, Group::MsgPack,
         "A MessagePack ext value decodes but is not JSON-RPC: -32600 with id null.",
         msgpack_ext_value});
  c.add({"2.3/5", Tier::Must, Group::MsgPack,
         "A truncated MessagePack object MUST be a parse error: -32700 with id null.",
         [](CaseContext& ctx) {
           const std::string whole = to_msgpack_bytes(json::parse(kPing));
           return msgpack_parse_error(ctx, whole.substr(0, whole.size() - 3),
                                      "a MessagePack request cut 3 bytes short");
         }});
  c.add({"2.4/1", Tier::Must, Group::MsgPack,
         "The sidecar MUST answer a request in the encoding of the message that carried it, "
         "batches and -32700 included.",
         answer_encoding});
  c.add({"2.5/1", Tier::Must, Group::Framing,
         "The sidecar MUST accept fragmented messages and reassemble them.", fragmented_request});
  c.add({"2.5/2", Tier::Must, Group::Framing,
         "The sidecar MUST answer each client ping with a pong that carries the same payload.",
         ping_answered});
  c.add({"2.5/3", Tier::Must, Group::Framing,
         "The sidecar MUST accept control frames between the fragments of a message.",
         control_between_fragments});
  c.add({"2.7/3", Tier::Must, Group::Framing,
         "UTF-8 validity is judged after reassembly: a character split across fragments is valid.",
         utf8_split_across_fragments});
  c.add({"2.8/1", Tier::Must, Group::Core,
         "A text message that is not valid JSON MUST be answered with -32700 and id null, and the "
         "connection stays open.",
         [](CaseContext& ctx) {
           return parse_error(ctx,
                              R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
                              "invalid JSON (JSON-RPC 2.0 spec example)");
         }});
  c.add({"2.8/2", Tier::Must, Group::Core,
         "Trailing non-whitespace after the first JSON value counts as invalid JSON (-32700).",
         [](CaseContext& ctx) {
           return parse_error(ctx, std::string(kPing) + " x", "a request followed by ' x'");
         }});
  c.add({"2.8/3", Tier::Must, Group::MsgPack,
         "A binary message that is not valid MessagePack MUST be answered with -32700 and id null; "
         "the connection stays open.",
         [](CaseContext& ctx) {
           return msgpack_parse_error(ctx, std::string("\xc1\x00\xff", 3),
                                      "binary message C1 00 FF (not MessagePack)");
         }});
  c.add({"2.8/4", Tier::Must, Group::MsgPack,
         "A MessagePack str that is not valid UTF-8 MUST be answered with -32700.",
         msgpack_invalid_utf8});
  c.add({"2.8/5", Tier::Must, Group::Core,
         "A truncated JSON message (docs example) is answered with -32700 and id null.",
         [](CaseContext& ctx) {
           return parse_error(ctx, R"({"jsonrpc":"2.0","method":"system.ping","id":1)",
                              "a truncated request");
         }});
}

}  // namespace flake::conform
