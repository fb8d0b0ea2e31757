// Target: the reference's JSON-RPC dispatcher fed raw WebSocket message bytes through
// handle_message (reference/connection.hpp), as reference/server/lws_server.cpp does, over a
// socket-less Connection. Input: one flag byte (bit 0: authenticate first; bit 1: messages are
// binary/MessagePack), then up to 16 messages separated by "\n~~\n". Property: every frame the
// sidecar queues is one well-formed JSON (text) or MessagePack (binary) value.
#include <libwebsockets.h>

#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"
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
    handle_message(c, rest.substr(0, end), binary);
    drain(c);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + kSeparator.size());
  }
  connection_closed(state.get(), &c);
  return 0;
}
