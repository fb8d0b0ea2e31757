// system.ping without a JSON tree (see small_ping.hpp).
#include "reference/rpc/small_ping.hpp"

#include <charconv>

#include "reference/rpc/dispatcher.hpp"
#include "reference/state/server_state.hpp"

namespace flake {

namespace {

// A cursor over the payload; every step either consumes what it expects or fails.
struct Cursor {
  std::string_view rest;

  bool take(std::string_view literal) {
    if (!rest.starts_with(literal)) return false;
    rest.remove_prefix(literal.size());
    return true;
  }

  // A string of printable ASCII without '"' or '\' (escapes and other bytes decline); returns its
  // bytes without the quotes.
  std::optional<std::string_view> plain_string() {
    if (!take("\"")) return std::nullopt;
    for (size_t i = 0; i < rest.size(); ++i) {
      const unsigned char ch = static_cast<unsigned char>(rest[i]);
      if (ch == '"') {
        const std::string_view text = rest.substr(0, i);
        rest.remove_prefix(i + 1);
        return text;
      }
      if (ch < 0x20 || ch > 0x7e || ch == '\\') return std::nullopt;
    }
    return std::nullopt;
  }

  // The id as written: "0", or 1 to 15 digits without a leading zero (below 1e15, so exact as a
  // double and printed back digit for digit); or a plain string, quotes included.
  std::optional<std::string_view> id() {
    const std::string_view at = rest;
    if (!rest.empty() && rest.front() == '"') {
      if (!plain_string()) return std::nullopt;
      return at.substr(0, at.size() - rest.size());
    }
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0 || digits > 15 || (digits > 1 && rest.front() == '0')) return std::nullopt;
    // A fraction or an exponent would follow the digits: decline, the general path reads them.
    if (digits < rest.size() && rest[digits] != ',' && rest[digits] != '}') return std::nullopt;
    rest.remove_prefix(digits);
    return at.substr(0, digits);
  }
};

void append_integer(std::string& out, int64_t value) {
  char text[24];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

}  // namespace

std::optional<std::string_view> match_small_ping(std::string_view payload) {
  Cursor in{payload};
  if (!in.take("{")) return std::nullopt;
  bool version = false, method = false;
  std::optional<std::string_view> id;
  do {
    if (!version && in.take("\"jsonrpc\":\"2.0\"")) {
      version = true;
    } else if (!method && in.take("\"method\":\"system.ping\"")) {
      method = true;
    } else if (!id && in.take("\"id\":")) {
      id = in.id();
      if (!id) return std::nullopt;
    } else {
      return std::nullopt;  // another member, a repeated one, or another value
    }
  } while (in.take(","));
  if (!in.take("}") || !in.rest.empty() || !version || !method || !id) return std::nullopt;
  return id;
}

bool append_ping_answer(std::string& out, std::string_view id, int64_t now) {
  // cJSON's number printing gives plain digits for integers below 1e15 in magnitude.
  if (now <= -1'000'000'000'000'000 || now >= 1'000'000'000'000'000) return false;
  out += R"({"jsonrpc":"2.0","result":{"now":)";
  append_integer(out, now);
  out += R"(},"id":)";
  out += id;
  out += '}';
  return true;
}

bool answer_small_ping(CallContext& ctx, std::string_view payload, std::string& out) {
  // Defect switches act inside the general path (seams); with any of them on it answers alone.
  if (ctx.server.defects.any()) return false;
  const std::optional<std::string_view> id = match_small_ping(payload);
  if (!id) return false;
  const size_t size = out.size();
  if (!append_ping_answer(out, *id, ctx.server.epoch_ms())) return false;
  long long retry_after_ms = 0;
  if (over_rate_limit(ctx, retry_after_ms)) {
    out.resize(size);  // refused: the general path answers -32029 (the bucket was not charged)
    return false;
  }
  return true;
}

}  // namespace flake
