// Many answers queued at once leave in batches (several frames per writeable callback, framed
// together when no extension is active): each must still be its own well-formed message, of the
// right type, in order, with and without permessage-deflate (docs/protocol.md §2, §3).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "reference/tests/sidecar_fixture.hpp"

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

// Notifications fan out with their entries shared between recipients and are framed from two
// pieces (head, then the shared tail): each must still arrive as one whole message, small ones
// batched and large ones (over 16 KiB) written in place, plain and compressed.
std::vector<uint64_t> read_entry_numbers(conform::RpcClient& c, uint64_t notifications) {
  std::vector<uint64_t> numbers;
  for (uint64_t seq = 1; seq <= notifications; ++seq) {
    auto n = c.next_notification(deadline_in(5s));
    if (!n) {
      ADD_FAILURE() << "notification " << seq << " missing";
      break;
    }
    EXPECT_EQ((*n)["method"], "logs.update");
    EXPECT_EQ((*n)["params"]["seq"].get<uint64_t>(), seq);
    for (const json& entry : (*n)["params"]["entries"]) numbers.push_back(entry["n"]);
  }
  return numbers;
}

TEST(ServerWriteBatching, SharedNotificationTailsArriveWholeToEveryRecipient) {
  Sidecar s({"--rate", "0", "--log-rate", "0"});  // exact entry numbers: no live traffic
  ConnectOptions deflate;
  deflate.offer_deflate = true;
  auto plain = s.client(true);
  auto packed = s.client(true, deflate);
  ASSERT_TRUE(packed->ws().deflate_active());
  for (auto* c : {plain.get(), packed.get()}) {
    Incoming sub = c->call("logs.subscribe", json{{"service", "vercel"}}, 2s);
    ASSERT_TRUE(sub.is_value() && sub.value.contains("result")) << sub.describe();
  }
  // 100 small notifications of 5 entries, then 10 of 250 entries (about 30 KiB each).
  for (const auto& [count, per] : {std::pair{500, 5}, std::pair{2500, 250}}) {
    Incoming emitted =
        plain->call("test.emitLogs",
                    json{{"service", "vercel"}, {"count", count}, {"perNotification", per}}, 10s);
    ASSERT_TRUE(emitted.is_value() && emitted.value.contains("result")) << emitted.describe();
  }
  for (auto* c : {plain.get(), packed.get()}) {
    const std::vector<uint64_t> numbers = read_entry_numbers(*c, 110);
    ASSERT_EQ(numbers.size(), 3000u);
    for (size_t i = 1; i < numbers.size(); ++i) {
      if (i == 500) continue;  // the second emit numbers its entries afresh
      ASSERT_EQ(numbers[i], numbers[i - 1] + 1) << "entry " << i;
    }
  }
}

}  // namespace
}  // namespace flake::itest
