// Socket-free parts of the REST/SSE side: header grammars, routes, tickets, gzip and the SSE
// replay decision (docs/protocol.md §4.11, §9.4-§9.6, §9.13).
#include <gtest/gtest.h>
#include <zlib.h>

#include "reference/codec/gzip.hpp"
#include "reference/http/headers.hpp"
#include "reference/http/routes.hpp"
#include "reference/http/sse_stream.hpp"
#include "reference/state/tickets.hpp"

namespace flake {
namespace {

TEST(RestHeaders, JsonMediaTypeIgnoresCaseAndParameters) {
  EXPECT_TRUE(is_json_media_type("application/json"));
  EXPECT_TRUE(is_json_media_type("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(is_json_media_type("application/json-seq"));
  EXPECT_FALSE(is_json_media_type("text/plain"));
  EXPECT_FALSE(is_json_media_type(""));
}

TEST(RestHeaders, QValueLists) {
  EXPECT_TRUE(list_allows("gzip", "gzip", "*"));
  EXPECT_TRUE(list_allows("br, GZIP;q=0.5", "gzip", "*"));
  EXPECT_FALSE(list_allows("gzip;q=0", "gzip", "*"));
  EXPECT_TRUE(list_allows("*", "gzip", "*"));
  EXPECT_FALSE(list_allows("gzip;q=0, *", "gzip", "*"));
  EXPECT_FALSE(list_allows("identity", "gzip", "*"));
  EXPECT_TRUE(
      list_allows("application/json, application/msgpack;q=0.9", "application/msgpack", ""));
  EXPECT_FALSE(list_allows("*/*", "application/msgpack", ""));
}

TEST(RestHeaders, BearerScheme) {
  EXPECT_EQ(bearer_credentials("Bearer abc").value_or("-"), "abc");
  EXPECT_EQ(bearer_credentials("bEaReR  abc ").value_or("-"), "abc");
  EXPECT_FALSE(bearer_credentials("Basic abc"));
  EXPECT_FALSE(bearer_credentials("Bearer"));
}

TEST(RestRoutes, ExactPathsAndServiceSegments) {
  EXPECT_EQ(match_route("/api/v1/health")->kind, RouteKind::kHealth);
  EXPECT_FALSE(match_route("/api/v1/health/"));
  EXPECT_FALSE(match_route("/API/v1/health"));
  auto dashboard = match_route("/api/v1/vercel/dashboard");
  ASSERT_TRUE(dashboard);
  EXPECT_EQ(dashboard->kind, RouteKind::kDashboard);
  EXPECT_EQ(dashboard->service, "vercel");
  EXPECT_EQ(match_route("/api/v1/multi/dashboard")->kind, RouteKind::kMultiDashboard);
  EXPECT_TRUE(match_route("/api/v1/aws/action")->post);
  EXPECT_EQ(match_route("/api/v1/stream/logs/aws")->kind, RouteKind::kStreamLogs);
  EXPECT_TRUE(match_route("/api/v1/stream/logs/aws")->stream());
  EXPECT_FALSE(match_route("/api/v1/stream/logs/"));
  EXPECT_FALSE(match_route("/api/v1/a/b/dashboard"));
  EXPECT_EQ(std::string(match_route("/api/v1/rpc")->allow()), "POST, OPTIONS");
}

TEST(RestTickets, OneUseAndThirtySeconds) {
  TicketStore store;
  const std::string a = store.issue(1000);
  ASSERT_EQ(a.size(), 32u);
  EXPECT_NE(a, store.issue(1000));
  EXPECT_TRUE(store.consume(a, 1000 + kTicketLifetimeMs - 1));
  EXPECT_FALSE(store.consume(a, 1001));
  const std::string b = store.issue(0);
  EXPECT_FALSE(store.consume(b, kTicketLifetimeMs));
  EXPECT_FALSE(store.consume("nope", 0));
  TicketStore small(2);
  const std::string first = small.issue(0);
  small.issue(0);
  small.issue(0);
  EXPECT_EQ(small.size(), 2u);
  EXPECT_FALSE(small.consume(first, 1));  // the oldest went first
}

TEST(RestGzip, RoundTrips) {
  const std::string text(5000, 'x');
  auto packed = gzip_compress(text);
  ASSERT_TRUE(packed);
  ASSERT_GE(packed->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(text.size(), '\0');
  z.next_in = reinterpret_cast<Bytef*>(packed->data());
  z.avail_in = static_cast<uInt>(packed->size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflateEnd(&z);
  EXPECT_EQ(out, text);
}

std::string text_of(const SharedText& bytes) {
  return bytes->substr(LWS_PRE);
}

TEST(RestSse, OpeningReplaysOrResets) {
  SseEndpoint endpoint("/api/v1/stream/metrics", "metrics.update", 3, 1 << 20);
  for (int i = 0; i < 5; ++i) endpoint.publish("aws", R"(,"metrics":{})", 1 << 20);
  auto live = sse_opening(endpoint, std::nullopt);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(text_of(live[0]), "retry: 3000\n\n");
  auto replay = sse_opening(endpoint, "3");
  ASSERT_EQ(replay.size(), 3u);
  EXPECT_EQ(text_of(replay[1]).substr(0, 30), "event: metrics.update\nid: 4\nda");
  EXPECT_EQ(sse_opening(endpoint, "5").size(), 1u);
  for (const char* gone : {"1", "6", "x", "", "-2"}) {
    auto reset = sse_opening(endpoint, std::string(gone));
    ASSERT_EQ(reset.size(), 2u) << gone;
    EXPECT_EQ(text_of(reset[1]), "event: reset\nid: 5\ndata: {\"latestId\":5}\n\n") << gone;
  }
}

}  // namespace
}  // namespace flake
