// Target: the harness's text/event-stream parser (SseParser, conformance/sse_parser.hpp), which
// reads every SSE body a sidecar sends. Property: the blocks, the last event ID and the
// reconnection time do not depend on how the body is split into reads (the first input byte picks
// the piece sizes).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "conformance/client/sse_parser.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace flake::conform;

struct Parsed {
  std::vector<SseEvent> events;
  std::string last_event_id;
  std::optional<long long> retry;
  bool operator==(const Parsed&) const = default;
};

Parsed parse(std::string_view body, std::size_t piece, std::size_t step) {
  Parsed p;
  SseParser parser;
  while (!body.empty()) {
    const std::size_t n = piece == 0 ? body.size() : std::min(piece, body.size());
    parser.feed(body.substr(0, n), p.events);
    body.remove_prefix(n);
    if (piece != 0) piece = 1 + (piece - 1 + step) % 13;
  }
  p.last_event_id = parser.last_event_id();
  p.retry = parser.reconnection_time();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = data[0];
  const std::string_view body = flake::fuzz::as_text(data + 1, size - 1);
  const Parsed whole = parse(body, 0, 0);
  FLAKE_FUZZ_CHECK(parse(body, 1, 0) == whole);
  FLAKE_FUZZ_CHECK(parse(body, 1 + step % 13, step) == whole);
  for (const SseEvent& e : whole.events) {
    FLAKE_FUZZ_CHECK(!e.dispatched || !e.comment_only);
    FLAKE_FUZZ_CHECK(!e.retry || *e.retry >= 0);
  }
  return 0;
}
