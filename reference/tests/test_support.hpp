// Test support: a ServerState over the real fixtures and a socket-less Connection whose queued
// frames the tests read back, so the dispatcher and session logic are tested without libwebsockets.
#pragma once

#include <libwebsockets.h>

#include <memory>
#include <string>
#include <vector>

#include "reference/codec/json_parse.hpp"
#include "reference/state/server_state.hpp"
#include "reference/ws/connection.hpp"

namespace flake::test {

inline Options test_options() {
  Options o;
  o.fixtures_dir = FLAKE_TEST_FIXTURES;
  o.conformance = true;
  return o;
}

inline std::unique_ptr<ServerState> make_state(Options o = test_options()) {
  std::string error;
  auto store = FixtureStore::load(o.fixtures_dir, error);
  if (!store) throw std::runtime_error("fixtures: " + error);
  return std::make_unique<ServerState>(std::move(o), std::move(*store), "s3cret-token");
}

// A connection registered with the server but with no socket: frames stay in tx for the test to
// read.
inline Connection& open_connection(ServerState& state) {
  return add_connection(state);
}

// Everything queued on `c` so far, as text payloads; the queue is emptied, and pending emit jobs
// are run to completion as a writeable socket would.
inline std::vector<std::string> drain(Connection& c) {
  std::vector<std::string> out;
  while (true) {
    while (!c.tx.empty()) {
      const OutFrame& frame = c.tx.front();
      out.emplace_back(frame.bytes->substr(flake::kFramePad));
      if (frame.tail) out.back() += *frame.tail;
      c.tx_bytes -= frame.payload_size();
      c.tx.pop_front();
    }
    if (c.jobs.empty() || c.close_code != 0) break;
    const uint64_t before = c.jobs.front().remaining;
    const size_t queued = c.jobs.size();
    step_jobs(c);
    if (c.tx.empty() && c.jobs.size() == queued && c.jobs.front().remaining == before)
      break;  // paced
  }
  return out;
}

inline JsonPtr parse(const std::string& text) {
  ParseResult r = parse_json(text);
  if (!r.value) throw std::runtime_error("unparsable frame: " + text);
  return std::move(r.value);
}

// Sends one text message and returns the single frame that answers it (throws if not exactly one).
inline JsonPtr roundtrip(Connection& c, std::string_view text) {
  handle_message(c, text, false);
  std::vector<std::string> frames = drain(c);
  if (frames.size() != 1) {
    throw std::runtime_error("expected one frame, got " + std::to_string(frames.size()));
  }
  return parse(frames[0]);
}

inline void authenticate(Connection& c) {
  JsonPtr r = roundtrip(
      c,
      R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":"s3cret-token"},"id":0})");
  if (!member(r.get(), "result")) throw std::runtime_error("authentication failed");
}

inline int error_code(const cJSON* response) {
  const cJSON* code = member(member(response, "error"), "code");
  return cJSON_IsNumber(code) ? code->valueint : 0;
}

}  // namespace flake::test
