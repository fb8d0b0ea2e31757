// SseParser against the WHATWG EventSource algorithm: every vector is fed whole, byte by byte and
// split in two at every byte boundary, and must give the same blocks each time.
#include "conformance/client/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flake::conform {
namespace {

SseEvent message(std::string data, std::string type = "message", std::optional<std::string> id = {},
                 std::string last_id = "") {
  SseEvent e;
  e.event = std::move(type);
  e.data = std::move(data);
  e.id = std::move(id);
  e.last_event_id = std::move(last_id);
  e.dispatched = true;
  return e;
}

SseEvent comment() {
  SseEvent e;
  e.comment_only = true;
  return e;
}

SseEvent undispatched(std::optional<long long> retry = {}, std::string last_id = "",
                      std::optional<std::string> id = {}) {
  SseEvent e;
  e.event = "message";
  e.retry = retry;
  e.last_event_id = std::move(last_id);
  e.id = std::move(id);
  return e;
}

struct Vector {
  std::string name;
  std::string input;
  std::vector<SseEvent> expected;
};

std::vector<Vector> vectors() {
  using namespace std::string_literals;
  return {
      {"lf", "data: a\n\n", {message("a")}},
      {"cr", "data: a\r\r", {message("a")}},
      {"crlf", "data: a\r\n\r\n", {message("a")}},
      {"crlf between fields",
       "data: a\r\ndata: b\r\nid: 1\r\n\r\n",
       {message("a\nb", "message", "1", "1")}},
      {"mixed line ends", "data: a\rdata: b\ndata: c\r\n\n", {message("a\nb\nc")}},
      {"bom stripped once",
       "\xEF\xBB\xBF"
       "data: a\n\n",
       {message("a")}},
      {"second bom kept",
       "\xEF\xBB\xBF\xEF\xBB\xBF"
       "data: a\n\ndata: b\n\n",
       {undispatched(), message("b")}},
      {"partial bom is text",
       "\xEF\xBB"
       "data: a\n\ndata: b\n\n",
       {undispatched(), message("b")}},
      {"one space removed", "data:  two\ndata:none\n\n", {message(" two\nnone")}},
      {"no colon: empty value", "data\ndata\n\n", {message("\n")}},
      {"empty data still fires", "data:\n\n", {message("")}},
      {"event type", "event: logs.update\ndata: {}\n\n", {message("{}", "logs.update")}},
      {"type resets after dispatch",
       "event: x\ndata: 1\n\ndata: 2\n\n",
       {message("1", "x"), message("2")}},
      {"id persists",
       "id: 7\ndata: a\n\ndata: b\n\n",
       {message("a", "message", "7", "7"), message("b", "message", {}, "7")}},
      {"id with nul ignored",
       "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s,
       {message("a", "message", "1", "1"), message("b", "message", {}, "1")}},
      {"empty id resets",
       "id: 3\ndata: a\n\nid\ndata: b\n\n",
       {message("a", "message", "3", "3"), message("b", "message", "", "")}},
      {"retry digits", "retry: 3000\n\n", {undispatched(3000)}},
      {"retry not digits",
       "retry: 30x\n\nretry: -1\n\nretry:\n\nretry:  5\n\n",
       {undispatched(), undispatched(), undispatched(), undispatched()}},
      {"comment", ": heartbeat\n\n", {comment()}},
      {"comment inside event", "data: a\n: c\ndata: b\n\n", {message("a\nb")}},
      {"unknown field ignored", "foo: bar\ndata: a\n\nfoo\n\n", {message("a"), undispatched()}},
      {"unterminated last event discarded", "data: a\n\ndata: b\n", {message("a")}},
      {"unterminated line discarded", "data: a\n\ndata: b", {message("a")}},
      {"blank lines alone", "\n\n\r\n", {}},
      {"colon in value", "data: a: b\n\n", {message("a: b")}},
      {"field names case-sensitive", "Data: a\ndata: b\n\n", {message("b")}},
      {"cr then lf across blocks", "data: a\r\n\rdata: b\n\n", {message("a"), message("b")}},
      {"utf-8 passes through", "data: \xC3\xA9\xE2\x82\xAC\n\n", {message("\xC3\xA9\xE2\x82\xAC")}},
      {"flake event",
       "retry: 3000\n\nevent: logs.update\nid: 12\ndata: {\"seq\":12}\n\n",
       {undispatched(3000), message("{\"seq\":12}", "logs.update", "12", "12")}},
  };
}

std::vector<SseEvent> parse_pieces(const std::vector<std::string_view>& pieces) {
  SseParser parser;
  std::vector<SseEvent> out;
  for (std::string_view piece : pieces) parser.feed(piece, out);
  return out;
}

TEST(SseParser, VectorsWhole) {
  for (const Vector& v : vectors()) {
    EXPECT_EQ(parse_pieces({v.input}), v.expected) << v.name;
  }
}

TEST(SseParser, VectorsSplitAtEveryByte) {
  for (const Vector& v : vectors()) {
    const std::string_view in = v.input;
    for (std::size_t cut = 0; cut <= in.size(); ++cut) {
      EXPECT_EQ(parse_pieces({in.substr(0, cut), in.substr(cut)}), v.expected)
          << v.name << " split at " << cut;
    }
    for (std::size_t a = 0; a <= in.size(); ++a) {
      for (std::size_t b = a; b <= in.size(); ++b) {
        ASSERT_EQ(parse_pieces({in.substr(0, a), in.substr(a, b - a), in.substr(b)}), v.expected)
            << v.name << " split at " << a << " and " << b;
      }
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < in.size(); ++i) bytes.push_back(in.substr(i, 1));
    EXPECT_EQ(parse_pieces(bytes), v.expected) << v.name << " byte by byte";
  }
}

TEST(SseParser, StreamStateAcrossFeeds) {
  SseParser parser;
  std::vector<SseEvent> out;
  parser.feed("retry: 1500\nid: 4\n", out);
  EXPECT_TRUE(out.empty());
  parser.feed("\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parser.reconnection_time(), 1500);
  EXPECT_EQ(parser.last_event_id(), "4");
  EXPECT_FALSE(out[0].dispatched);  // no data: an EventSource fires nothing
}

}  // namespace
}  // namespace flake::conform
