// Target: the reference's JSON-RPC dispatcher fed raw WebSocket message bytes through
// handle_message (reference/connection.hpp), as reference/server/lws_server.cpp does, over a
// socket-less Connection. Input: one flag byte (bit 0: authenticate first; bit 1: messages are
// binary/MessagePack), then up to 16 messages separated by "\n~~\n". Properties: every frame the
// sidecar queues is one well-formed JSON (text) or MessagePack (binary) value, and a system.ping
// the tree-less path takes is answered as the general path answers it.
#include <libwebsockets.h>

#include <cmath>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/rpc/dispatcher.hpp"
#include "reference/rpc/small_ping.hpp"
#include "reference/ws/connection.hpp"
#include "reference_state.hpp"

namespace {

using namespace flake;

constexpr std::string_view kSeparator = "\n~~\n";
constexpr int kMaxMessages = 16;
constexpr int kMaxJobSteps = 32;  // test.emitLogs may ask for 10^6 entries; a prefix is enough

void check_frame(const OutFrame& frame) {
  FLAKE_FUZZ_CHECK(frame.bytes && frame.bytes->size() >= flake::kFramePad);
  std::string payload = frame.bytes->substr(flake::kFramePad);
  if (frame.tail) payload += *frame.tail;
  if (frame.binary) {
    FLAKE_FUZZ_CHECK(decode_msgpack(payload, kMaxJsonDepth).value != nullptr);
  } else {
    FLAKE_FUZZ_CHECK(parse_json(payload).value != nullptr);
  }
}

// Sends what a writeable socket would, running queued emit jobs for a bounded number of steps.
void drain(Connection& c) {
  for (int step = 0;; ++step) {
    while (!c.tx.empty()) {
      check_frame(c.tx.front());
      c.tx_bytes -= c.tx.front().payload_size();
      c.tx.pop_front();
    }
    if (c.jobs.empty() || c.close_code != 0 || step == kMaxJobSteps) return;
    step_jobs(c);
  }
}

// The tree-less system.ping path (rpc/small_ping.hpp) answers exactly as the general path
// (parse, dispatch, print) would; "now" is compared within a second, the clock moving between.
void check_small_ping(ServerState& state, Connection& c, std::string_view message) {
  std::string fast;
  CallContext fast_ctx(state, &c, c.authenticated());
  if (!answer_small_ping(fast_ctx, message, fast)) return;
  ParseResult parsed = parse_json(message);
  FLAKE_FUZZ_CHECK(parsed.value != nullptr);
  CallContext ctx(state, &c, c.authenticated());
  JsonPtr general = dispatch_message(ctx, parsed.value.get());
  FLAKE_FUZZ_CHECK(general != nullptr);
  JsonPtr answer = parse_json(fast).value;
  FLAKE_FUZZ_CHECK(answer != nullptr);
  const cJSON* fast_now = member(member(answer.get(), "result"), "now");
  cJSON* general_now = cJSON_GetObjectItemCaseSensitive(member(general.get(), "result"), "now");
  FLAKE_FUZZ_CHECK(fast_now != nullptr && general_now != nullptr);
  FLAKE_FUZZ_CHECK(std::fabs(fast_now->valuedouble - general_now->valuedouble) <= 1000);
  cJSON_SetNumberValue(general_now, fast_now->valuedouble);
  FLAKE_FUZZ_CHECK(print_json(general.get()) == fast);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool authenticate = (data[0] & 1) != 0;
  const bool binary = (data[0] & 2) != 0;
  std::string_view rest = fuzz::as_text(data + 1, size - 1);

  fuzz::FreshState state;
  Connection& c = add_connection(state.get());
  if (authenticate) {
    handle_message(c,
                   R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":")" +
                       std::string(fuzz::kToken) + R"("},"id":0})",
                   false);
    drain(c);
    FLAKE_FUZZ_CHECK(c.authenticated());
  }
  for (int n = 0; n < kMaxMessages && c.close_code == 0 && !c.drop_now; ++n) {
    const std::size_t end = rest.find(kSeparator);
    if (!binary) check_small_ping(state.get(), c, rest.substr(0, end));
    handle_message(c, rest.substr(0, end), binary);
    drain(c);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + kSeparator.size());
  }
  connection_closed(state.get(), &c);
  return 0;
}
