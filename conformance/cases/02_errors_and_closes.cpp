// §2.6-2.7 and 2.9-2.11: protocol errors, invalid UTF-8, the size limit, close codes and the end of
// a connection.

#include <algorithm>
#include "conformance/cases/case_util.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/cases/session_util.hpp"
#include "conformance/client/permessage_deflate.hpp"

namespace flake::conform {
namespace {

constexpr std::string_view kPing = R"({"jsonrpc":"2.0","id":7,"method":"system.ping"})";

// §2.6: the connection is failed: nothing of the offending frame or after it is processed (a
// valid request follows it and must stay unanswered), the TCP connection ends, and a close frame,
// if one is sent, carries 1002. `want_close_frame`: the SHOULD of sending that close frame.
Outcome protocol_violation(CaseContext& ctx, const std::string& bytes, std::string_view what,
                           bool want_close_frame) {
  auto rpc = ctx.connect();
  rpc->ws().send_raw(bytes +
                     encode_client_frame(
                         Opcode::Text, R"({"jsonrpc":"2.0","id":"after","method":"system.ping"})"));
  const std::string expected = std::string(what) + ": the connection failed, nothing processed";
  const Incoming in = await_close(ctx, *rpc, false);
  if (in.kind == Incoming::Kind::Close) {
    require(in.raw.close_code == 1002,
            std::string(what) + ": a close frame, if any, with code 1002", in.describe());
    const Incoming end = rpc->receive(ctx.deadline_after(std::chrono::milliseconds(2500)));
    require(end.kind == Incoming::Kind::Eof, expected + " (TCP closed)", end.describe());
  } else {
    require(in.kind == Incoming::Kind::Eof, expected + " (TCP closed)", in.describe());
    require(!want_close_frame,
            std::string(what) + ": a close frame with code 1002 before the TCP close",
            "TCP closed without a close frame");
  }
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
  const std::string text =
      R"({"jsonrpc":"2.0","id":7,"method":"system.ping","params":{"s":")" + bad + "\"}}";
  rpc->ws().send_raw(encode_client_frame(Opcode::Text, text));
  require_close(await_close(ctx, *rpc, false), 1007, what);
  return pass();
}

std::int64_t max_message_bytes(CaseContext& ctx) {
  const json& caps = ctx.capabilities();
  require(has_integer(caps, "maxMessageBytes") && caps["maxMessageBytes"].get<std::int64_t>() > 0,
          "capabilities.maxMessageBytes, a positive integer", show(caps));
  const std::int64_t limit = caps["maxMessageBytes"].get<std::int64_t>();
  if (limit > (std::int64_t{64} << 20)) {
    skip_case("maxMessageBytes " + std::to_string(limit) + " is too large to test quickly");
  }
  return limit;
}

// A compressed text message (RFC 7692) that inflates to `message` but whose compressed payload is
// longer than `at_least` bytes: after the deflated message come empty stored blocks, which inflate
// to nothing. Written for a fresh inflater (the first compressed message of a connection).
std::string padded_deflate(std::string_view message, std::size_t at_least) {
  MessageDeflater deflater(15, true);
  std::string payload = deflater.compress(message);  // ends byte-aligned, 00 00 ff ff removed
  // Each "00 00 ff ff" completes the empty stored block whose header the previous byte holds, and
  // the final 00 starts one that the receiver's 00 00 ff ff completes.
  const std::string block("\x00\x00\xff\xff\x00", 5);
  payload.reserve(at_least + block.size());
  while (payload.size() <= at_least) payload += block;
  return payload;
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

// A connection with permessage-deflate in effect; unimplemented when the sidecar declines it.
std::unique_ptr<RpcClient> connect_deflated(CaseContext& ctx) {
  ConnectOptions o = ctx.options();
  o.offer_deflate = true;
  auto rpc = ctx.connect(o);
  if (!rpc->ws().deflate_active()) unimplemented_case("permessage-deflate was not negotiated");
  return rpc;
}

}  // namespace

void add_s2_errors_and_closes_cases(Catalog& c) {
  c.explain({.rule = "2.9c",
             .why = Why::Untestable,
             .reason = "How much memory the sidecar holds for a message cannot be seen through "
                       "any transport; the early close of 2.9b is the visible part."});

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
  // 2.6/1-7: one case per violation above.
  for (const auto& v : violations) {
    const std::string what = v.what;
    const std::string bytes = v.bytes;
    c.add({.id = v.id,
           .tier = Tier::Must,
           .requirement =
               std::string("The sidecar MUST fail the connection (no processing, TCP closed, close "
                           "code 1002 if any) on ") +
               v.what + ".",
           .rules = {"2.6a", "2.6c", "2.10a"},
           .run = [what, bytes](CaseContext& ctx) {
             return protocol_violation(ctx, bytes, what, false);
           }});
  }
  c.add({.id = "2.6/8",
         .tier = Tier::Should,
         .requirement = "The sidecar SHOULD send a close frame with code 1002 before closing the "
                        "TCP connection on a framing violation.",
         .rules = {"2.6b", "2.6c"},
         .run = [violations](CaseContext& ctx) {
           // The unmasked frame is left out: a server that cannot see the mask bit (2.6/1) would
           // answer the request inside it, which says nothing about close frames.
           for (std::size_t i = 1; i < violations.size(); ++i) {
             protocol_violation(ctx, violations[i].bytes, violations[i].what, true);
           }
           return pass();
         }});
  c.add({.id = "2.7/1",
         .tier = Tier::Must,
         .requirement = "When a text message is not valid UTF-8, the sidecar MUST close with 1007 "
                        "and send no JSON-RPC response.",
         .rules = {"2.7a", "2.7b", "2.10a"},
         .run = [](CaseContext& ctx) {
           return invalid_utf8(ctx, "\xff\xfe", "a text message with bytes FF FE");
         }});
  c.add({.id = "2.7/2",
         .tier = Tier::Must,
         .requirement = "Overlong encodings, UTF-16 surrogates and code points above U+10FFFF are "
                        "invalid UTF-8: close 1007.",
         .rules = {"2.7a", "2.7b", "2.10a"},
         .run = [](CaseContext& ctx) {
           invalid_utf8(ctx, "\xc0\xaf", "an overlong encoding of '/' (C0 AF)");
           invalid_utf8(ctx, "\xed\xa0\x80", "an encoded surrogate U+D800 (ED A0 80)");
           return invalid_utf8(ctx, "\xf4\x90\x80\x80", "U+110000 (F4 90 80 80)");
         }});
  c.add({.id = "2.7/3",
         .tier = Tier::Must,
         .requirement = "UTF-8 validity is judged after reassembly: a character split across "
                        "fragments is valid.",
         .rules = {"2.7a"},
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           // U+1F600 is F0 9F 98 80: the fragment boundary falls inside it.
           const std::string text =
               "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"system.ping\",\"params\":{\"s\":"
               "\"\xF0\x9F\x98\x80\"}}";
           const std::size_t cut = text.find('\xF0') + 2;
           rpc->ws().send_raw(
               encode_client_frame(Opcode::Text, std::string_view(text).substr(0, cut), false));
           rpc->ws().send_raw(
               encode_client_frame(Opcode::Continuation, std::string_view(text).substr(cut)));
           require_result(
               rpc->wait_for_response(ctx.deadline()), 7,
               "a valid text message whose 4-byte character is split across two fragments");
           return pass();
         }});
  c.add(
      {.id = "2.9/1",
       .tier = Tier::Must,
       .requirement = "A message larger than maxMessageBytes (counted after reassembly) MUST be "
                      "closed with 1009.",
       .rules = {"2.9a", "2.10a"},
       .budget = std::chrono::milliseconds(20000),
       .run = [](CaseContext& ctx) {
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
         std::optional<Incoming> early;
         while (sent < total) {
           // Stop as soon as the sidecar reacts: it may close long before the end. A keepalive ping
           // is not a reaction: receive() answers it and times out, and sending goes on.
           if (rpc->ws().server_data_pending()) {
             Incoming in = rpc->receive(deadline_in(std::chrono::milliseconds(1)));
             if (in.kind != Incoming::Kind::Timeout) {
               early = std::move(in);
               break;
             }
           }
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
         if (early && early->kind == Incoming::Kind::Value) {
           fail_case("a close frame and no JSON-RPC answer", "got " + early->describe());
         }
         require_close(early ? *early : await_close(ctx, *rpc, false), 1009,
                       "a text message of maxMessageBytes+1 bytes in fragments");
         return pass();
       }});
  c.add({.id = "2.9/2",
         .tier = Tier::Must,
         .requirement = "An oversized message MUST be detected as soon as the declared frame "
                        "lengths exceed the limit (close 1009).",
         .rules = {"2.9b", "2.10a"},
         .run = [](CaseContext& ctx) {
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
         }});
  c.add({.id = "2.9/3",
         .tier = Tier::Must,
         .requirement = "The size limit applies after permessage-deflate inflation (close 1009).",
         .rules = {"2.9a", "2.10a"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           const std::int64_t limit = max_message_bytes(ctx);
           auto rpc = connect_deflated(ctx);
           std::string text = R"({"jsonrpc":"2.0","id":7,"method":"system.ping","params":{"pad":")";
           text.resize(static_cast<std::size_t>(limit) - 2, 'x');
           text += "\"}}";  // limit + 1 bytes once inflated
           rpc->ws().send_text(text);
           require_close(await_close(ctx, *rpc, false), 1009,
                         "a compressed message that inflates to maxMessageBytes+1 bytes");
           return pass();
         }});
  c.add({.id = "2.9/4",
         .tier = Tier::Must,
         .requirement = "Compressed bytes MUST NOT count toward the limit: a message whose "
                        "compressed payload exceeds maxMessageBytes but inflates within it is "
                        "answered.",
         .rules = {"2.9d"},
         .budget = std::chrono::milliseconds(20000),
         .run = [](CaseContext& ctx) {
           const std::int64_t limit = max_message_bytes(ctx);
           auto rpc = connect_deflated(ctx);
           const std::string payload = padded_deflate(kPing, static_cast<std::size_t>(limit));
           ctx.log().note("sending system.ping compressed into " + std::to_string(payload.size()) +
                          " bytes (empty deflate blocks after the message)");
           FrameSpec s;
           s.opcode = static_cast<std::uint8_t>(Opcode::Text);
           s.rsv = kRsv1;
           if (rpc->ws().socket().send_all(encode_frame(s, payload), ctx.deadline()) !=
               IoStatus::Ok) {
             const Incoming in = rpc->receive(ctx.deadline());
             fail_case("the whole compressed message sent", "sending stopped: " + in.describe());
           }
           require_result(rpc->wait_for_response(ctx.deadline()), 7,
                          "system.ping compressed into maxMessageBytes+1 or more bytes");
           return pass();
         }});
  c.add({.id = "2.10/1",
         .tier = Tier::Must,
         .requirement = "When the client starts the closing handshake, the sidecar MUST reply with "
                        "a close frame echoing the status code.",
         .rules = {"2.10b"},
         .run = [](CaseContext& ctx) { return close_echo(ctx, true); }});
  c.add({.id = "2.10/2",
         .tier = Tier::Must,
         .requirement = "A client close frame without status code MUST be answered with a close "
                        "frame without status code.",
         .rules = {"2.10b"},
         .run = [](CaseContext& ctx) { return close_echo(ctx, false); }});
  // §2.10d: a status code RFC 6455 section 7.4 keeps off the wire is a protocol error, not echoed.
  c.add({.id = "2.10/3",
         .tier = Tier::Must,
         .requirement = "A client close frame with an invalid status code (999, 1004-1006, 1015, "
                        "2999, 5000) or a 1-byte body MUST fail the connection (1002), not be "
                        "echoed.",
         .rules = {"2.10d"},
         .run = [](CaseContext& ctx) {
           for (const int code : {999, 1004, 1005, 1006, 1015, 2999, 5000}) {
             std::string body;
             body += static_cast<char>(code >> 8);
             body += static_cast<char>(code & 0xff);
             body += "bye";
             protocol_violation(ctx, frame(0x8, body),
                                "a close frame with status code " + std::to_string(code), false);
           }
           return protocol_violation(ctx, frame(0x8, "\x03"), "a close frame with a 1-byte body",
                                     false);
         }});
  c.add({.id = "2.10/4",
         .tier = Tier::Should,
         .requirement =
             "Each close frame the sidecar starts SHOULD carry a reason text of 1 to 123 "
             "bytes.",
         .rules = {"2.10c"},
         .run = [](CaseContext& ctx) {
           const auto check = [&ctx](const std::string& bytes, int code, const std::string& what) {
             auto rpc = ctx.connect();
             rpc->ws().send_raw(bytes);
             const Incoming in = await_close(ctx, *rpc, false);
             require_close(in, code, what);
             const std::string& reason = in.raw.close_reason;
             require(!reason.empty() && reason.size() <= 123,
                     what + ": a close frame with a reason text of 1 to 123 bytes",
                     reason.empty() ? "no reason text"
                                    : std::to_string(reason.size()) + " bytes of reason text");
           };
           check(frame(0x3, kPing), 1002, "an unknown opcode (close 1002)");
           check(encode_client_frame(Opcode::Text, "\xff"), 1007, "invalid UTF-8 (close 1007)");
           const std::int64_t limit = max_message_bytes(ctx);
           FrameSpec s;
           s.opcode = static_cast<std::uint8_t>(Opcode::Binary);
           s.declared_length = static_cast<std::uint64_t>(limit) + 1;
           check(encode_frame(s, "\x92"), 1009, "a frame declaring maxMessageBytes+1 (close 1009)");
           return pass();
         }});
  c.add({.id = "2.11/1",
         .tier = Tier::Must,
         .requirement = "After sending a close frame, the sidecar MUST close the TCP connection "
                        "within 2 s even if the client does not answer.",
         .rules = {"2.11b"},
         .timing = true,
         .run = [](CaseContext& ctx) {
           auto rpc = ctx.connect();
           rpc->ws().set_auto_close_reply(false);
           rpc->ws().send_raw(encode_client_frame(Opcode::Text, "\xff"));
           const Incoming close = await_close(ctx, *rpc, false);
           require_close(close, 1007,
                         "invalid UTF-8 (to make the sidecar start the closing handshake)");
           const auto start = Clock::now();
           const Incoming end = rpc->receive(ctx.deadline_after(std::chrono::milliseconds(3000)));
           const auto waited =
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
           require(end.kind == Incoming::Kind::Eof && waited.count() <= 2250,
                   "the TCP connection closed within 2 s of the close frame, without a close reply",
                   end.describe() + " after " + std::to_string(waited.count()) + " ms");
           return pass();
         }});
  c.add({.id = "2.11/2",
         .tier = Tier::Must,
         .requirement = "After a connection ends, whatever the reason (client close, 1002, 1007, "
                        "1009), its session MUST be kept for resumption.",
         .rules = {"2.11a"},
         .run = [](CaseContext& ctx) {
           FrameSpec oversized;
           oversized.opcode = static_cast<std::uint8_t>(Opcode::Binary);
           oversized.declared_length = static_cast<std::uint64_t>(max_message_bytes(ctx)) + 1;
           struct Ending {
             const char* what;
             std::string bytes;
           };
           const Ending endings[] = {
               {"a client close frame (1000)", frame(0x8, std::string("\x03\xe8", 2))},
               {"a framing violation (1002)", frame(0x3, kPing)},
               {"invalid UTF-8 (1007)", encode_client_frame(Opcode::Text, "\xff")},
               {"an oversized message (1009)", encode_frame(oversized, "\x92")},
           };
           for (const Ending& e : endings) {
             auto a = ctx.connect();
             const std::string session = ctx.authenticate(*a).value("sessionId", "");
             require(!session.empty(), "a sessionId in the auth result", "none");
             a->ws().send_raw(e.bytes);
             const Incoming end = await_close(ctx, *a, false);
             require(end.kind == Incoming::Kind::Close || end.kind == Incoming::Kind::Eof,
                     std::string(e.what) + ": the connection ends", end.describe());
             a.reset();
             auto b = ctx.connect_authenticated();
             const Resumed r = resume(ctx, *b, session, 0);
             if (r.response.contains("error") && r.response["error"].value("code", 0) == -32601) {
               unimplemented_case("session.resume answers -32601");
             }
             require(r.response.contains("result"),
                     std::string("the session resumed on a new connection after ") + e.what,
                     show(r.response));
           }
           return pass();
         }});
}

}  // namespace flake::conform
