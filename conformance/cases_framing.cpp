// §2: text and binary messages, answer encoding, fragmentation and control frames, protocol
// errors (1002), invalid UTF-8 (1007), unparseable messages (-32700) and the size limit (1009).
#include "case_util.hpp"
#include "cases.hpp"

#include <algorithm>

namespace flake::conform {
namespace {

constexpr std::string_view kPing = R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})";

// Reads until a close frame (or EOF/timeout); any data message first is a failure when
// `messages_allowed` is false.
Incoming await_close(CaseContext& ctx, RpcClient& rpc, bool messages_allowed) {
  for (;;) {
    Incoming in = rpc.receive(ctx.deadline());
    if (in.kind != Incoming::Kind::Value && in.kind != Incoming::Kind::Undecodable) return in;
    if (!messages_allowed) {
      fail_case("a close frame and no JSON-RPC answer", "got " + in.describe());
    }
  }
}

Outcome text_with_whitespace(CaseContext& ctx) {
  auto rpc = ctx.connect();
  const Incoming in = send_text_wait(ctx, *rpc, std::string(" \r\n\t") + std::string(kPing) + " \n");
  require_result(in, 7, "system.ping surrounded by JSON whitespace");
  require(in.encoding == Encoding::Json, "a text answer", "a binary answer");
  return pass();
}

Outcome msgpack_request(CaseContext& ctx) {
  require_msgpack_capability(ctx);
  auto rpc = ctx.connect();
  const Incoming in =
      send_binary_wait(ctx, *rpc, to_msgpack_bytes(json::parse(kPing)));
  const json result = require_result(in, 7, "system.ping in a binary MessagePack message");
  require(result.is_object() && result.contains("now") && result["now"].is_number_integer(),
          "result {\"now\":<integer>}", show(result));
  return pass();
}

Outcome msgpack_parse_error(CaseContext& ctx, std::string_view bytes, std::string_view what) {
  require_msgpack_capability(ctx);
  auto rpc = ctx.connect();
  const Incoming in = send_binary_wait(ctx, *rpc, bytes);
  require_error(in, -32700, nullptr, what);
  ctx.require_usable(*rpc, "a -32700 answer");
  return pass();
}

Outcome msgpack_non_string_key(CaseContext& ctx) {
  // fixmap with 4 entries, one of them keyed by the integer 1.
  std::string bytes = to_msgpack_bytes(json::parse(R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})"));
  bytes[0] = static_cast<char>(0x84);
  bytes += "\x01\x01";
  return msgpack_parse_error(ctx, bytes, "a MessagePack map with an integer key");
}

Outcome msgpack_trailing_bytes(CaseContext& ctx) {
  return msgpack_parse_error(ctx, to_msgpack_bytes(json::parse(kPing)) + std::string("\xc0", 1),
                             "a MessagePack object followed by one more byte");
}

Outcome msgpack_ext_value(CaseContext& ctx) {
  json request = json::parse(kPing);
  request["params"] = {{"x", json::binary({0x00}, 1)}};  // fixext 1, type 1
  return msgpack_parse_error(ctx, to_msgpack_bytes(request), "a MessagePack ext value");
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
  const json batch = json::array({json::parse(kPing), {{"jsonrpc", "2.0"}, {"id", 8}, {"method", "system.ping"}}});
  in = send_binary_wait(ctx, *rpc, to_msgpack_bytes(batch));
  const json& answer = require_value(in, "an answer to a MessagePack batch");
  require(answer.is_array() && answer.size() == 2, "an array of 2 responses", show(answer));
  require(in.encoding == Encoding::MsgPack, "the batch answer in a binary message", "a text message");
  return pass();
}

Outcome fragmented_request(CaseContext& ctx) {
  auto rpc = ctx.connect();
  if (!rpc->ws().send_fragmented(Opcode::Text, kPing, 9)) fail_case("fragments sent", "send failed");
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
  require(saw_pong(ctx, *rpc, payload), "a pong carrying the ping's payload",
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

// §2.6: one violation per case; the answer must be close 1002.
Outcome protocol_violation(CaseContext& ctx, const std::string& bytes, std::string_view what) {
  auto rpc = ctx.connect();
  rpc->ws().send_raw(bytes);
  const Incoming in = await_close(ctx, *rpc, true);
  require_close(in, 1002, what);
  return pass();
}

std::string frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                  std::uint8_t rsv = 0, bool masked = true) {
  FrameSpec s;
  s.opcode = opcode;
  s.fin = fin;
  s.rsv = rsv;
  s.masked = masked;
  return encode_frame(s, payload);
}

Outcome invalid_utf8(CaseContext& ctx, const std::string& bad, std::string_view what) {
  auto rpc = ctx.connect();
  const std::string text = R"({"jsonrpc":"2.0","id":7,"method":"system.ping","params":{"s":")" +
                           bad + "\"}}";
  rpc->ws().send_raw(encode_client_frame(Opcode::Text, text));
  require_close(await_close(ctx, *rpc, false), 1007, what);
  return pass();
}

Outcome utf8_split_across_fragments(CaseContext& ctx) {
  auto rpc = ctx.connect();
  // U+1F600 is F0 9F 98 80: the fragment boundary falls inside it.
  const std::string text =
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"system.ping\",\"params\":{\"s\":\"\xF0\x9F\x98\x80\"}}";
  const std::size_t cut = text.find('\xF0') + 2;
  rpc->ws().send_raw(encode_client_frame(Opcode::Text, std::string_view(text).substr(0, cut), false));
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
  return msgpack_parse_error(ctx, to_msgpack_bytes(request), "a MessagePack str with invalid UTF-8");
}

std::int64_t max_message_bytes(CaseContext& ctx) {
  const json& caps = ctx.capabilities();
  require(caps.contains("maxMessageBytes") && caps["maxMessageBytes"].is_number_integer() &&
              caps["maxMessageBytes"].get<std::int64_t>() > 0,
          "capabilities.maxMessageBytes, a positive integer", show(caps));
  const std::int64_t limit = caps["maxMessageBytes"].get<std::int64_t>();
  if (limit > (std::int64_t{64} << 20)) {
    skip_case("maxMessageBytes " + std::to_string(limit) + " is too large to test quickly");
  }
  return limit;
}

Outcome oversized_fragmented(CaseContext& ctx) {
  const std::int64_t limit = max_message_bytes(ctx);
  auto rpc = ctx.connect();
  std::string prefix = R"({"jsonrpc":"2.0","id":7,"method":"system.ping","params":{"pad":")";
  const std::size_t total = static_cast<std::size_t>(limit) + 1;
  const std::size_t fragment = 256 * 1024;
  const std::string filler(fragment, 'x');
  ctx.log().note("sending " + std::to_string(total) + " bytes in fragments of " +
                 std::to_string(fragment));
  std::size_t sent = 0;
  bool first = true;
  while (sent < total) {
    // Stop as soon as the sidecar reacts: it may close long before the end.
    if (rpc->ws().server_data_pending()) break;
    std::string part = first ? prefix : std::string();
    part += filler.substr(0, std::min(fragment, total - sent) - part.size());
    sent += part.size();
    FrameSpec s;
    s.opcode = static_cast<std::uint8_t>(first ? Opcode::Text : Opcode::Continuation);
    s.fin = sent >= total;
    if (!rpc->ws().socket().is_open() ||
        rpc->ws().socket().send_all(encode_frame(s, part), ctx.deadline()) != IoStatus::Ok) {
      break;
    }
    first = false;
  }
  ctx.log().note("sent " + std::to_string(sent) + " bytes");
  require_close(await_close(ctx, *rpc, false), 1009,
                "a text message of maxMessageBytes+1 bytes in fragments");
  return pass();
}

Outcome oversized_declared(CaseContext& ctx) {
  const std::int64_t limit = max_message_bytes(ctx);
  auto rpc = ctx.connect();
  FrameSpec s;
  s.opcode = static_cast<std::uint8_t>(Opcode::Binary);
  s.declared_length = static_cast<std::uint64_t>(limit) + 1;
  // Only the header and a few bytes: the declared length alone must trigger the close.
  rpc->ws().send_frame(s, "\x92\x01\x02");
  require_close(await_close(ctx, *rpc, false), 1009,
                "a frame header declaring maxMessageBytes+1 bytes (payload not sent)");
  return pass();
}

Outcome oversized_inflated(CaseContext& ctx) {
  const std::int64_t limit = max_message_bytes(ctx);
  ConnectOptions o = ctx.options();
  o.offer_deflate = true;
  auto rpc = ctx.connect(o);
  if (!rpc->ws().deflate_active()) unimplemented_case("permessage-deflate was not negotiated");
  std::string text = R"({"jsonrpc":"2.0","id":7,"method":"system.ping","params":{"pad":")";
  text.resize(static_cast<std::size_t>(limit) - 2, 'x');
  text += "\"}}";  // limit + 1 bytes once inflated
  rpc->ws().send_text(text);
  require_close(await_close(ctx, *rpc, false), 1009,
                "a compressed message that inflates to maxMessageBytes+1 bytes");
  return pass();
}

Outcome close_echo(CaseContext& ctx, bool with_code) {
  auto rpc = ctx.connect();
  if (with_code) {
    rpc->ws().send_close(4000, "harness done");
  } else {
    rpc->ws().send_frame(FrameSpec{0x8, true, 0, true, {}, {}, {}, false}, "");
  }
  const Incoming in = await_close(ctx, *rpc, false);
  if (with_code) {
    require_close(in, 4000, "the answer to a client close frame with code 4000");
  } else {
    require(in.kind == Incoming::Kind::Close && !in.raw.close_code,
            "a close frame without status code (echoing a close without code)", in.describe());
  }
  return pass();
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
  c.add({"2.3/2", Tier::Must, Group::MsgPack,
         "A MessagePack map key that is not a str MUST be treated as a parse error.",
         msgpack_non_string_key});
  c.add({"2.3/3", Tier::Must, Group::MsgPack,
         "Bytes left over after the first MessagePack object MUST be treated as a parse error.",
         msgpack_trailing_bytes});
  c.add({"2.3/4", Tier::Must, Group::MsgPack,
         "A MessagePack ext value MUST be treated as a parse error.", msgpack_ext_value});
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
  struct Violation {
    const char* id;
    const char* what;
    std::string bytes;
  };
  const std::string_view ping = kPing;
  const std::vector<Violation> violations = {
      {"2.6/1", "an unmasked client frame", frame(0x1, ping, true, 0, false)},
      {"2.6/2", "a reserved bit (RSV1) set without an extension", frame(0x1, ping, true, kRsv1)},
      {"2.6/3", "an unknown opcode (0x3)", frame(0x3, ping)},
      {"2.6/4", "a fragmented control frame (ping with FIN clear)", frame(0x9, "x", false)},
      {"2.6/5", "a control frame with 126 bytes of payload", frame(0x9, std::string(126, 'p'))},
      {"2.6/6", "a continuation frame with no message in progress", frame(0x0, ping)},
      {"2.6/7", "a new data frame while a fragmented message is in progress",
       frame(0x1, ping.substr(0, 5), false) + frame(0x1, ping)},
  };
  for (const auto& v : violations) {
    const std::string what = v.what;
    const std::string bytes = v.bytes;
    c.add({v.id, Tier::Must, Group::Framing,
           std::string("The sidecar MUST close the connection with code 1002 on ") + v.what + ".",
           [what, bytes](CaseContext& ctx) { return protocol_violation(ctx, bytes, what); }});
  }
  c.add({"2.7/1", Tier::Must, Group::Framing,
         "When a text message is not valid UTF-8, the sidecar MUST close with 1007 and send no "
         "JSON-RPC response.",
         [](CaseContext& ctx) { return invalid_utf8(ctx, "\xff\xfe", "a text message with bytes FF FE"); }});
  c.add({"2.7/2", Tier::Must, Group::Framing,
         "Overlong encodings, UTF-16 surrogates and code points above U+10FFFF are invalid UTF-8: "
         "close 1007.",
         [](CaseContext& ctx) {
           invalid_utf8(ctx, "\xc0\xaf", "an overlong encoding of '/' (C0 AF)");
           invalid_utf8(ctx, "\xed\xa0\x80", "an encoded surrogate U+D800 (ED A0 80)");
           return invalid_utf8(ctx, "\xf4\x90\x80\x80", "U+110000 (F4 90 80 80)");
         }});
  c.add({"2.7/3", Tier::Must, Group::Framing,
         "UTF-8 validity is judged after reassembly: a character split across fragments is valid.",
         utf8_split_across_fragments});
  c.add({"2.8/1", Tier::Must, Group::Core,
         "A text message that is not valid JSON MUST be answered with -32700 and id null, and the "
         "connection stays open.",
         [](CaseContext& ctx) {
           return parse_error(ctx, R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
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
  c.add({"2.9/1", Tier::Must, Group::Framing,
         "A message larger than maxMessageBytes (counted after reassembly) MUST be closed with 1009.",
         oversized_fragmented, std::chrono::milliseconds(20000)});
  c.add({"2.9/2", Tier::Must, Group::Framing,
         "An oversized message MUST be detected as soon as the declared frame lengths exceed the "
         "limit (close 1009).",
         oversized_declared});
  c.add({"2.9/3", Tier::Must, Group::Framing,
         "The size limit applies after permessage-deflate inflation (close 1009).",
         oversized_inflated, std::chrono::milliseconds(20000)});
  c.add({"2.10/1", Tier::Must, Group::Framing,
         "When the client starts the closing handshake, the sidecar MUST reply with a close frame "
         "echoing the status code.",
         [](CaseContext& ctx) { return close_echo(ctx, true); }});
  c.add({"2.10/2", Tier::Must, Group::Framing,
         "A client close frame without status code MUST be answered with a close frame without "
         "status code.",
         [](CaseContext& ctx) { return close_echo(ctx, false); }});
}

}  // namespace flake::conform
