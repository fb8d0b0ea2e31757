// Message-level families of the network fuzzer: JSON-RPC structure mutations of valid seed requests
// and hostile MessagePack, sent in text or binary frames, whole or fragmented.
#include "conformance/netfuzz/generators.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <optional>

namespace flake::conform::netfuzz {
namespace {

using json = nlohmann::json;

// Valid requests of docs/protocol.md §5.1, the starting points of every mutation. No test.*
// method: the fuzzer aims at any sidecar.
const std::array<std::string_view, 12> kSeeds{
    R"({"jsonrpc":"2.0","method":"system.ping","id":1})",
    R"({"jsonrpc":"2.0","method":"rpc.discover","id":"d"})",
    R"({"jsonrpc":"2.0","method":"vercel.getDeployments","params":{"limit":5,"cursor":null},"id":2})",
    R"({"jsonrpc":"2.0","method":"batch.execute","params":{"operations":[{"method":"system.ping"},{"method":"aws.getInstances","params":{"limit":2}}]},"id":3})",
    R"({"jsonrpc":"2.0","method":"logs.subscribe","params":{"service":"vercel","level":"info"},"id":4})",
    R"({"jsonrpc":"2.0","method":"metrics.unsubscribe","params":{"subscription":"x"},"id":5})",
    R"({"jsonrpc":"2.0","method":"session.resume","params":{"sessionId":"abc","lastSeq":0},"id":6})",
    R"({"jsonrpc":"2.0","method":"logs.getLarge","params":{"service":"aws","timeRange":"15m","format":"msgpack"},"id":7})",
    R"({"jsonrpc":"2.0","method":"multi.getDashboard","id":8})",
    R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":"wrong","clientInfo":{"version":"1"}},"id":9})",
    R"({"jsonrpc":"2.0","method":"supabase.getDatabases","params":[1,2,3],"id":null})",
    R"({"jsonrpc":"2.0","method":"system.ping"})"};

json odd_value(Rng& rng) {
  switch (below(rng, 12)) {
    case 0:
      return nullptr;
    case 1:
      return true;
    case 2:
      return -1;
    case 3:
      return 1.5e308;
    case 4:
      return "";
    case 5:
      return json::array();
    case 6:
      return json::object();
    case 7:
      return std::string(1 + below(rng, 70000), 'x');
    case 8:
      return std::numeric_limits<std::uint64_t>::max();
    case 9:
      return std::numeric_limits<std::int64_t>::min();
    case 10:
      return json::array({1, "two", nullptr});
    default:
      return json{{"method", "system.ping"}};
  }
}

// A random object inside `v` (v itself included), for mutations below the top level.
json* random_object(Rng& rng, json& v) {
  json* at = &v;
  for (int depth = 0; depth < 4; ++depth) {
    std::vector<json*> children;
    for (auto& [key, child] : at->items()) {
      if (child.is_object()) children.push_back(&child);
      (void)key;
    }
    if (children.empty() || chance(rng, 40)) break;
    at = children[below(rng, children.size())];
  }
  return at;
}

std::string nested(char open, char close, std::size_t depth) {
  return std::string(depth, open) + std::string(depth, close);
}

std::string huge_id(Rng& rng) {
  static constexpr std::array<std::string_view, 9> kIds{"1e400",
                                                        "-1e400",
                                                        "18446744073709551616",
                                                        "-9223372036854775809",
                                                        "123456789012345678901234567890123456789",
                                                        "-0",
                                                        "0.0000000000000000000001",
                                                        "1.7976931348623157e309",
                                                        "9007199254740993"};
  if (chance(rng, 20)) return '"' + std::string(1 + below(rng, 100000), 'i') + '"';
  return std::string(pick<std::string_view>(rng, kIds));
}

std::string structural(Rng& rng, json v) {
  json* obj = random_object(rng, v);
  switch (below(rng, 4)) {
    case 0:  // drop a member
      if (!obj->empty()) {
        auto it = obj->begin();
        std::advance(it, static_cast<long>(below(rng, obj->size())));
        obj->erase(it.key());
      }
      return v.dump();
    case 1:  // retype a member
      if (!obj->empty()) {
        auto it = obj->begin();
        std::advance(it, static_cast<long>(below(rng, obj->size())));
        *it = odd_value(rng);
      }
      return v.dump();
    case 2: {  // duplicate a member (nlohmann cannot hold it: splice the text)
      std::string text = v.dump();
      static constexpr std::array<std::string_view, 4> kDup{
          R"("id":{"x":1},)", R"("method":"rpc.discover",)", R"("jsonrpc":"1.0",)",
          R"("params":7,)"};
      text.insert(1, pick<std::string_view>(rng, kDup));
      return text;
    }
    default:  // add an unknown member
      (*obj)["extra" + std::to_string(below(rng, 100))] = odd_value(rng);
      return v.dump();
  }
}

std::string textual(Rng& rng, std::string text) {
  switch (below(rng, 6)) {
    case 0:
      text.resize(below(rng, text.size()));
      return text;
    case 1:
      return text + (chance(rng, 50) ? "}" : " garbage");
    case 2:
      for (int i = 0; i < 3; ++i) text[below(rng, text.size())] = static_cast<char>(rng() & 0x7F);
      return text;
    case 3:
      text.insert(below(rng, text.size()), R"("\ud800\udc00\udfff\u0000")");
      return text;
    case 4:
      text.insert(below(rng, text.size()), std::string(1, '\0'));
      return text;
    default:
      return "  \t\n" + text + "\n";
  }
}

std::string deep(Rng& rng) {
  static constexpr std::array<std::size_t, 7> kDepths{63, 64, 65, 66, 1000, 20000, 200000};
  const std::size_t depth = pick<std::size_t>(rng, kDepths);
  if (chance(rng, 50)) {
    return R"({"jsonrpc":"2.0","method":"system.ping","params":)" + nested('[', ']', depth) +
           R"(,"id":1})";
  }
  std::string objects;
  for (std::size_t i = 0; i < depth; ++i) objects += R"({"a":)";
  objects += "1" + std::string(depth, '}');
  return R"({"jsonrpc":"2.0","method":"system.ping","params":)" + objects + R"(,"id":1})";
}

std::string big_batch(Rng& rng) {
  static constexpr std::array<std::size_t, 7> kSizes{0, 1, 99, 100, 101, 1000, 20000};
  const std::size_t n = pick<std::size_t>(rng, kSizes);
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) out += ',';
    if (chance(rng, 5)) {
      out += std::to_string(i);
    } else {
      out += R"({"jsonrpc":"2.0","method":"system.ping","id":)" + std::to_string(i) + "}";
    }
  }
  return out + "]";
}

// The MessagePack form of a JSON text, when it parses; nlohmann recurses while encoding, so very
// deep texts (a family of their own) are left in JSON.
std::optional<std::string> as_msgpack(const std::string& text) {
  int depth = 0;
  for (const char ch : text) {
    depth += (ch == '[' || ch == '{') ? 1 : ((ch == ']' || ch == '}') ? -1 : 0);
    if (depth > 200) return std::nullopt;
  }
  const json v = json::parse(text, nullptr, false);
  if (v.is_discarded()) return std::nullopt;
  const auto packed = json::to_msgpack(v);
  return std::string(packed.begin(), packed.end());
}

}  // namespace

std::string mutated_request(Rng& rng) {
  const std::string_view seed = pick<std::string_view>(rng, kSeeds);
  switch (below(rng, 7)) {
    case 0:
    case 1:
      return structural(rng, json::parse(seed));
    case 2:
      return textual(rng, std::string(seed));
    case 3: {
      std::string text(seed);
      const auto at = text.find(R"("id":)");
      if (at == std::string::npos)
        return text.substr(0, text.size() - 1) + R"(,"id":)" + huge_id(rng) + "}";
      return text.substr(0, at) + R"("id":)" + huge_id(rng) + "}";
    }
    case 4:
      return deep(rng);
    case 5:
      return big_batch(rng);
    default:
      return std::string(seed);  // valid traffic keeps the session state moving
  }
}

std::string hostile_msgpack(Rng& rng) {
  // {"jsonrpc":"2.0","method":"system.ping","id":1,"params": <x>} with x appended last.
  const std::string head =
      "\x84\xa7jsonrpc\xa3"
      "2.0\xa6method\xabsystem.ping\xa2id\x01\xa6params";
  static constexpr std::array<std::string_view, 9> kBombs{
      "\xdd\xff\xff\xff\xff\x01",  // array32 of 4 G elements
      "\xdf\xff\xff\xff\xff\xa1"
      "a\x01",  // map32
      "\xdb\xff\xff\xff\xff"
      "abc",  // str32
      "\xc6\x7f\xff\xff\xff"
      "abc",  // bin32
      "\xc9\xff\xff\xff\xff\x01"
      "ab",                         // ext32
      "\xdc\xff\xff\xc0",           // array16, truncated
      "\xc1",                       // never used
      "\xa2\xff\xfe",               // str that is not UTF-8
      "\xd6\xff\x00\x00\x00\x00"};  // timestamp ext
  switch (below(rng, 6)) {
    case 0:
      return head + std::string(pick<std::string_view>(rng, kBombs));
    case 1: {
      static constexpr std::array<std::size_t, 5> kDepths{64, 65, 1000, 100000, 1000000};
      const std::size_t depth = pick<std::size_t>(rng, kDepths);
      return head + std::string(depth, chance(rng, 50) ? '\x91' : '\x81') + "\xc0";
    }
    case 2: {  // valid request, bytes flipped
      const auto packed = json::to_msgpack(json::parse(pick<std::string_view>(rng, kSeeds)));
      std::string m(packed.begin(), packed.end());
      for (int i = 0; i < 2; ++i) m[below(rng, m.size())] = static_cast<char>(rng() & 0xFF);
      return m;
    }
    case 3: {  // valid, then trailing bytes or truncated
      const auto packed = json::to_msgpack(json::parse(pick<std::string_view>(rng, kSeeds)));
      std::string m(packed.begin(), packed.end());
      if (chance(rng, 50)) return m + "\xc0";
      m.resize(below(rng, m.size()));
      return m;
    }
    case 4: {  // a map with a non-str key
      return "\x82\x01\x02\xa6method\xabsystem.ping";
    }
    default: {
      if (auto packed = as_msgpack(mutated_request(rng))) return *packed;
      return random_bytes(rng, 1 + below(rng, 64));
    }
  }
}

ConnScript gen_jsonrpc(Rng& rng, const GenContext&) {
  ConnScript conn;
  conn.label = "JSON-RPC mutations";
  open_websocket(rng, conn, chance(rng, 85));
  std::string out;
  const std::size_t messages = 1 + below(rng, 8);
  for (std::size_t i = 0; i < messages; ++i) {
    const std::string text = mutated_request(rng);
    if (chance(rng, 15)) {
      if (auto packed = as_msgpack(text)) {  // same mutation, binary form
        out += client_frame(rng, 0x2, *packed);
        continue;
      }
    }
    out += chance(rng, 25) && !text.empty() ? fragmented(rng, 0x1, text)
                                            : client_frame(rng, 0x1, text);
  }
  conn.steps.push_back(send(out));
  conn.steps.push_back(drain(static_cast<int>(100 + below(rng, 400))));
  conn.steps.push_back(simple(chance(rng, 80) ? StepKind::Close : StepKind::Abort));
  return conn;
}

ConnScript gen_msgpack(Rng& rng, const GenContext&) {
  ConnScript conn;
  conn.label = "hostile MessagePack";
  open_websocket(rng, conn, chance(rng, 80));
  std::string out;
  const std::size_t messages = 1 + below(rng, 6);
  for (std::size_t i = 0; i < messages; ++i) {
    const std::string m = hostile_msgpack(rng);
    out += chance(rng, 20) && !m.empty() ? fragmented(rng, 0x2, m) : client_frame(rng, 0x2, m);
  }
  conn.steps.push_back(send(out));
  conn.steps.push_back(drain(static_cast<int>(100 + below(rng, 300))));
  conn.steps.push_back(simple(StepKind::Close));
  return conn;
}

}  // namespace flake::conform::netfuzz
