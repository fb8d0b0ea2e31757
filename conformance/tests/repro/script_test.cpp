// flake-replay/1 scripts: writer/parser round trip (every byte value, placeholders, wrapped
// lines) and the parser's errors on malformed files.
#include "conformance/repro/script.hpp"

#include <gtest/gtest.h>

namespace flake::conform::repro {
namespace {

Step send_step(int conn, long long at, std::vector<Piece> pieces) {
  return Step{StepKind::Send, conn, at, std::move(pieces), 0};
}

std::optional<Script> parse(std::string_view text) {
  std::string error;
  auto s = parse_script(text, error);
  EXPECT_TRUE(s) << error;
  return s;
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_script(text, error));
  return error;
}

TEST(ReproScript, EveryByteValueRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  all += all;  // long enough to wrap several times
  Script script;
  script.comments = {"case 1.1/1", "", "two words"};
  script.steps = {{StepKind::Connect, 1, 0, {}, 0},
                  send_step(1, 5, {{PieceKind::Bytes, all}}),
                  {StepKind::Recv, 1, 7, {}, 42},
                  {StepKind::Close, 1, 9, {}, 0}};
  const std::string text = format_script(script);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u == '\n' || (u >= 0x20 && u < 0x7F)) << "raw byte " << int{u};
  }
  EXPECT_EQ(text.find('$'), std::string::npos);  // a literal '$' is escaped
  const auto back = parse(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->steps, script.steps);
  EXPECT_EQ(back->comments, script.comments);
}

TEST(ReproScript, PlaceholdersRoundTripAndExpand) {
  Script script;
  script.steps = {send_step(2, 17,
                            {{PieceKind::Bytes, "GET "},
                             {PieceKind::Path, {}},
                             {PieceKind::Bytes, "?token="},
                             {PieceKind::Token, {}},
                             {PieceKind::Bytes, " HTTP/1.1\r\nHost: "},
                             {PieceKind::Authority, {}},
                             {PieceKind::Bytes, "\r\nX: ${NOT}\r\n\r\n"}})};
  const std::string text = format_script(script);
  EXPECT_NE(text.find("${TOKEN}"), std::string::npos);
  EXPECT_NE(text.find("${AUTHORITY}"), std::string::npos);
  EXPECT_NE(text.find("${PATH}"), std::string::npos);
  EXPECT_NE(text.find("\\x24{NOT}"), std::string::npos);
  const auto back = parse(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->steps, script.steps);
  EXPECT_EQ(expand(back->steps[0].pieces, Fill{"sekrit", "h:1", "/rpc"}),
            "GET /rpc?token=sekrit HTTP/1.1\r\nHost: h:1\r\nX: ${NOT}\r\n\r\n");
}

TEST(ReproScript, LongSendsWrapOntoContinuationLines) {
  Script script;
  script.steps = {send_step(1, 0, {{PieceKind::Bytes, std::string(1000, 'a') + "\r\nb\r\n"}})};
  const std::string text = format_script(script);
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n';
  EXPECT_GT(lines, 10u);
  EXPECT_NE(text.find("\n    \""), std::string::npos);
  const auto back = parse(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->steps, script.steps);
}

TEST(ReproScript, HandWrittenScriptParses) {
  const auto s = parse(
      "# flake-replay/1\r\n# a comment\n\nconnect 1 +0\nsend 1 +3 \"ab\" \"c\"\n  \"\\x00\\n\"\n"
      "frames 1 +4\nrecv 1 +4 120\nshutdown 1 +5\nabort 1 +6\nclose 3 +70\n");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->steps.size(), 7u);
  EXPECT_EQ(s->steps[3].kind, StepKind::Recv);
  EXPECT_EQ(s->steps[3].received, 120);
  EXPECT_EQ(s->steps[1].pieces,
            (std::vector<Piece>{{PieceKind::Bytes, std::string("abc\0\n", 5)}}));
  EXPECT_EQ(s->steps[6].conn, 3);
  EXPECT_EQ(s->steps[6].at_ms, 70);
}

TEST(ReproScript, MalformedScriptsAreErrorsWithLineNumbers) {
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("{\"format\":1}\n").find("not a flake-replay/1 script"), std::string::npos);
  const std::string m = "# flake-replay/1\n";
  EXPECT_EQ(parse_error(m + "jump 1 +0\n"), "line 2: unknown step \"jump\"");
  EXPECT_NE(parse_error(m + "send x +0 \"a\"\n").find("line 2: a connection number"),
            std::string::npos);
  EXPECT_NE(parse_error(m + "send 0 +0 \"a\"\n").find("connection number"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 5 \"a\"\n").find("time offset"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +-5 \"a\"\n").find("time offset"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0\n").find("at least one quoted string"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 \"abc\n").find("unterminated"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 abc\n").find("expected a quoted string"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 \"\\q\"\n").find("unknown escape"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 \"\\x4\"\n").find("two hex digits"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 \"\\xzz\"\n").find("two hex digits"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 \"${SECRET}\"\n").find("unknown placeholder"),
            std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 \"$5\"\n").find("starts no placeholder"), std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +0 \"\xc3\xa9\"\n").find("escape it"), std::string::npos);
  EXPECT_NE(parse_error(m + "close 1 +0 now\n").find("unexpected text"), std::string::npos);
  EXPECT_NE(parse_error(m + "recv 1 +0\n").find("byte count"), std::string::npos);
  EXPECT_NE(parse_error(m + "recv 1 +0 5 6\n").find("unexpected text"), std::string::npos);
  EXPECT_NE(parse_error(m + "  \"a\"\n").find("continuation"), std::string::npos);
  EXPECT_NE(parse_error(m + "connect 1 +0\n  \"a\"\n").find("line 3: a continuation"),
            std::string::npos);
  EXPECT_NE(parse_error(m + "send 1 +99999999999999999999 \"a\"\n").find("time offset"),
            std::string::npos);
}

}  // namespace
}  // namespace flake::conform::repro
