// Captured writes to reproducer steps: the token, Host value and WebSocket path become
// placeholders, masked frames are stored with key 0, and a token out of a placeholder's reach
// is refused.
#include "conformance/repro/recorder.hpp"

#include "conformance/client/permessage_deflate.hpp"
#include "conformance/client/ws_frame.hpp"

#include "conformance/client/wire_capture.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace flake::conform::repro {
namespace {

const std::string kToken = "0123456789abcdef0123";
const Recorded kRecorded{kToken, "127.0.0.1:4000", "/rpc"};

std::string upgrade_head() {
  return "GET /rpc?x=1 HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nUpgrade: websocket\r\n"
         "Authorization: Bearer " +
         kToken + "\r\n\r\n";
}

std::string all_text(const std::vector<Step>& steps) {
  Script s;
  s.steps = steps;
  return format_script(s);
}

TEST(ReproRecorder, TokenNeverInTheFileEvenMasked) {
  WireCapture capture(kToken);
  capture.on_connect(7, "127.0.0.1", 4000);
  const std::string frame = encode_client_frame(
      Opcode::Text, R"({"method":"auth.authenticate","params":{"token":")" + kToken + "x\"}}");
  capture.on_send(7, upgrade_head() + frame.substr(0, 3));
  capture.on_send(7, frame.substr(3));
  capture.on_close(7);
  EXPECT_EQ(capture.problem(), "");
  std::string problem;
  const auto steps = steps_from_capture(capture.events(), kRecorded, problem);
  EXPECT_EQ(problem, "");
  const std::string text = all_text(steps);
  EXPECT_EQ(text.find(kToken), std::string::npos);
  EXPECT_NE(text.find("Bearer ${TOKEN}"), std::string::npos);
  EXPECT_NE(text.find("GET ${PATH}?x=1 HTTP/1.1"), std::string::npos);
  EXPECT_NE(text.find("Host: ${AUTHORITY}"), std::string::npos);
  EXPECT_NE(text.find("frames 1 +"), std::string::npos);
  // The frame's payload is in plain (mask key 0), the token as a placeholder.
  EXPECT_NE(text.find(R"(\"token\":\"${TOKEN}x\")"), std::string::npos);
  Fill fill{kToken, "h:9", "/ws"};
  std::string stream;
  for (const Step& s : steps) stream += expand(s.pieces, fill);
  EXPECT_NE(stream.find("GET /ws?x=1 HTTP/1.1\r\nHost: h:9\r\n"), std::string::npos);
  // The frame split after its first key byte still has key 0 and its payload in plain.
  EXPECT_NE(stream.find(std::string("\0\0\0\0{\"method\"", 13)), std::string::npos);
}

TEST(ReproRecorder, TokenSplitOverFragmentsIsRefused) {
  WireCapture capture(kToken);
  capture.on_connect(3, "127.0.0.1", 4000);
  capture.on_send(3, upgrade_head());
  const std::string message = "{\"token\":\"" + kToken + "\"}";
  capture.on_send(3, encode_client_frame(Opcode::Text, message.substr(0, 15), false));
  capture.on_send(3, encode_client_frame(Opcode::Continuation, message.substr(15), true));
  EXPECT_NE(capture.problem().find("split over the fragments"), std::string::npos);
}

TEST(ReproRecorder, TokenSplitOverWritesIsRefused) {
  WireCapture capture(kToken);
  capture.on_connect(3, "127.0.0.1", 4000);
  const std::string head = "GET /x HTTP/1.1\r\nAuthorization: Bearer " + kToken + "\r\n\r\n";
  capture.on_send(3, head.substr(0, 40));
  capture.on_send(3, head.substr(40));
  std::string problem;
  steps_from_capture(capture.events(), kRecorded, problem);
  EXPECT_NE(problem.find("split over two writes"), std::string::npos);
}

TEST(ReproRecorder, CompressedTokenIsRefused) {
  WireCapture capture(kToken);
  capture.on_compressed_plaintext("hello");
  EXPECT_EQ(capture.problem(), "");
  capture.on_compressed_plaintext("{\"token\":\"" + kToken + "\"}");
  EXPECT_NE(capture.problem().find("compressed"), std::string::npos);
}

TEST(ReproRecorder, EveryCompressorReportsToTheActiveCapture) {
  WireCapture capture(kToken);
  set_active_capture(&capture);
  MessageDeflater deflater(15, false);
  deflater.compress("{\"token\":\"" + kToken + "\"}");
  set_active_capture(nullptr);
  deflater.compress("not seen");
  EXPECT_NE(capture.problem().find("compressed"), std::string::npos);
}

TEST(ReproRecorder, ConnectionsNumberedAndClosesRecorded) {
  WireCapture capture(kToken);
  capture.on_connect(5, "127.0.0.1", 4000);
  capture.on_connect(6, "127.0.0.1", 4001);
  capture.on_shutdown_write(6);
  capture.on_abort(5);
  capture.on_close(5);  // after an abort: already gone
  capture.on_send(99, "not ours");
  const auto events = capture.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].conn, 2);
  EXPECT_EQ(events[1].bytes, "127.0.0.1:4001");
  EXPECT_EQ(events[2].kind, CaptureKind::ShutdownWrite);
  EXPECT_EQ(events[3].kind, CaptureKind::Abort);
  EXPECT_EQ(events[3].conn, 1);
}

TEST(ReproRecorder, FileNamesAreSafe) {
  EXPECT_EQ(reproducer_file_name("4.6/2"), "4.6_2.flake-replay");
  EXPECT_EQ(reproducer_file_name("3.4/7@msgpack"), "3.4_7_msgpack.flake-replay");
  EXPECT_EQ(reproducer_file_name("../x"), ".._x.flake-replay");
}

}  // namespace
}  // namespace flake::conform::repro

namespace flake::conform::repro {
namespace {

struct NullSink : ProgressSink {
  int reruns = 0;
  void case_started(const Case&, std::size_t, std::size_t) override {}
  void case_finished(const CaseResult&, std::size_t, std::size_t) override {}
  void case_rerun(const Case&) override { ++reruns; }
};

// A rerun case's reproducer holds the attempt whose outcome counts (the second), not both.
TEST(ReproRecorder, RerunKeepsOnlyTheSecondAttempt) {
  const std::string dir = ::testing::TempDir() + "repro-rerun";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Target target;
  target.url.scheme = "ws";
  target.url.authority = "127.0.0.1:4000";
  target.url.path = "/rpc";
  target.token = kToken;
  NullSink inner;
  ReproducerRecorder recorder(inner, dir, target, "--reference");
  Case c;
  c.id = "7.6/1";
  c.requirement = "a timing-dependent rule";
  recorder.case_started(c, 0, 1);
  active_capture()->on_connect(11, "127.0.0.1", 4000);
  active_capture()->on_send(11, "first attempt's bytes");
  active_capture()->on_close(11);
  recorder.case_rerun(c);
  active_capture()->on_connect(12, "127.0.0.1", 4000);
  active_capture()->on_send(12, "second attempt's bytes");
  active_capture()->on_close(12);
  CaseResult result;
  result.c = &c;
  result.outcome = fail("the rule", "broken twice");
  recorder.case_finished(result, 0, 1);
  EXPECT_EQ(inner.reruns, 1);
  ASSERT_EQ(recorder.written().size(), 1u)
      << (recorder.problems().empty() ? "" : recorder.problems()[0]);
  std::ifstream in(recorder.written()[0]);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("second attempt's bytes"), std::string::npos) << text;
  EXPECT_EQ(text.find("first attempt's bytes"), std::string::npos) << text;
  EXPECT_EQ(active_capture(), nullptr);
}

}  // namespace
}  // namespace flake::conform::repro
