// §13.4's event lines: what is accepted, and why each malformed line is refused.
#include "conformance/client_cases/event_line.hpp"

#include <gtest/gtest.h>

namespace flake::conform::client {
namespace {

TEST(EventLine, AcceptsEveryEventOfTheTable) {
  for (
      const char* line : {
          R"({"event":"connected"})",
          R"({"event":"authenticated","sessionId":"c0ffee"})",
          R"({"event":"subscribed","method":"logs.subscribe","subscription":"sub-1"})",
          R"({"event":"notification","method":"logs.update","subscription":"sub-1","seq":1})",
          R"({"event":"gap","expected":4,"seq":6})",
          R"({"event":"call","method":"system.ping","outcome":"result"})",
          R"({"event":"call","method":"a.b","outcome":"error","code":-32003})",
          R"({"event":"call","method":"a.b","outcome":"breaker"})",
          R"({"event":"call","method":"a.b","outcome":"transport"})",
          R"({"event":"call","method":"a.b","outcome":"timeout"})",
          R"({"event":"large","format":"json","compressed":false,"outcome":"verified","entries":5})",
          R"({"event":"large","format":"msgpack","compressed":true,"outcome":"rejected"})",
          R"({"event":"disconnected"})",
          R"({"event":"disconnected","code":1001})",
          R"({"event":"resumed","replayed":0})",
          R"({"event":"resume_failed","code":-32007})",
          R"({"event":"gave_up"})",
          "{\"event\":\"connected\",\"extra\":[1,2]}\r",
      }) {
    const EventLine e = parse_event_line(line);
    EXPECT_TRUE(e.ok()) << line << ": " << e.error;
  }
}

TEST(EventLine, NamesWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "empty line"},
      {"hello", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"evt":"connected"})", "no \"event\" string"},
      {R"({"event":7})", "no \"event\" string"},
      {R"({"event":"launched"})", "unknown event \"launched\""},
      {R"({"event":"notification","method":"logs.update","subscription":"s","seq":"1"})",
       "\"seq\" is not an integer"},
      {R"({"event":"notification","method":"logs.update","seq":1})", "\"subscription\" is missing"},
      {R"({"event":"call","method":"a.b","outcome":"error"})", "\"code\" is missing"},
      {R"({"event":"call","method":"a.b","outcome":"fine"})",
       "\"outcome\" is not one of result, error, breaker, transport, timeout"},
      {R"({"event":"large","format":"json","compressed":"no","outcome":"verified","entries":1})",
       "\"compressed\" is not a boolean"},
      {R"({"event":"large","format":"json","compressed":false,"outcome":"verified"})",
       "\"entries\" is missing"},
      {R"({"event":"disconnected","code":"1001"})", "\"code\" is not an integer"},
      {R"({"event":"gap","expected":4})", "\"seq\" is missing"},
      {R"({"event":"resumed"})", "\"replayed\" is missing"},
  };
  for (const auto& [line, why] : bad) {
    const EventLine e = parse_event_line(line);
    EXPECT_FALSE(e.ok()) << line;
    EXPECT_EQ(e.error, why) << line;
  }
}

}  // namespace
}  // namespace flake::conform::client
