// Many answers queued at once leave in batches (several frames per writeable callback, framed
// together when no extension is active): each must still be its own well-formed message, of the
// right type, in order, with and without permessage-deflate (docs/protocol.md §2, §3).
#include <chrono>
#include <string>

#include "sidecar_fixture.hpp"

namespace flake::itest {
namespace {

using namespace std::chrono_literals;
using conform::ConnectOptions;
using conform::deadline_in;
using conform::Encoding;
using conform::Incoming;

// 300 requests sent back to back, alternating small and large answers (7-bit and 16-bit frame
// lengths) and JSON and MessagePack, then every answer read in order.
void pipelined_answers_arrive_in_order(bool deflate) {
  Sidecar s({"--rate", "0"});
  ConnectOptions options;
  options.offer_deflate = deflate;
  auto c = s.client(true, options);
  ASSERT_EQ(c->ws().deflate_active(), deflate);
  constexpr int kRequests = 300;
  for (int id = 1; id <= kRequests; ++id) {
    const char* method = id % 3 == 0 ? "vercel.getDashboard" : "system.ping";
    const Encoding encoding = id % 2 == 0 ? Encoding::MsgPack : Encoding::Json;
    json request = {{"jsonrpc", "2.0"}, {"method", method}, {"id", id}};
    ASSERT_TRUE(c->send(request, encoding)) << id;
  }
  for (int id = 1; id <= kRequests; ++id) {
    Incoming answer = c->wait_for_response(deadline_in(5s));
    ASSERT_TRUE(answer.is_value()) << id << ": " << answer.describe();
    EXPECT_EQ(answer.value["id"], id);
    EXPECT_TRUE(answer.value.contains("result")) << answer.describe();
    EXPECT_EQ(answer.encoding, id % 2 == 0 ? Encoding::MsgPack : Encoding::Json) << id;
  }
  Incoming after = c->call("system.ping", json::object(), 2s);
  EXPECT_TRUE(after.is_value() && after.value.contains("result")) << after.describe();
}

TEST(ServerWriteBatching, PipelinedAnswersArriveWholeAndInOrder) {
  pipelined_answers_arrive_in_order(false);
}

TEST(ServerWriteBatching, PipelinedAnswersArriveWholeAndInOrderWithDeflate) {
  pipelined_answers_arrive_in_order(true);
}

}  // namespace
}  // namespace flake::itest
