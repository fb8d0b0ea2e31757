// system.ping without a JSON tree: the heartbeat every client sends many times is recognised byte
// by byte and answered by printing, with exactly the bytes the general path (parse, validate,
// dispatch, handle_ping, print) gives; anything else declines to that path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flake {

struct CallContext;

// The id's bytes as written when `payload` is exactly {"jsonrpc":"2.0","method":"system.ping",
// "id":ID}: those three members once each, in any order, no whitespace, no params, ID an integer
// of 1 to 15 digits without a sign or leading zero (exact as a double, printed back the same) or a
// string of printable ASCII without '"' or '\' (printed back unescaped). Otherwise nullopt.
std::optional<std::string_view> match_small_ping(std::string_view payload);

// Appends {"jsonrpc":"2.0","result":{"now":NOW},"id":ID} as print_json prints the general path's
// answer. False (nothing appended) when `now` is not printed as plain digits (|now| >= 1e15).
bool append_ping_answer(std::string& out, std::string_view id, int64_t now);

// The fast path for one text message: true when `payload` was a small ping and its answer is
// appended to `out`. Declines (false, `out` untouched, nothing charged) whenever any defect switch
// is on, for anything match_small_ping declines, and when the rate limit refuses the request, so
// that every refusal and every deliberately broken behaviour comes from the general path.
bool answer_small_ping(CallContext& ctx, std::string_view payload, std::string& out);

}  // namespace flake
