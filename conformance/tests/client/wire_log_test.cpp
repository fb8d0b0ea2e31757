// Hiding the token in text meant for reports: every occurrence becomes "<token>", also when the
// token is part of that word (no endless replacement).
#include "conformance/client/wire_log.hpp"

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

TEST(WireLog, HideTokenReplacesEveryOccurrence) {
  EXPECT_EQ(WireLog::hide_token("Bearer s3cret, again s3cret", "s3cret"),
            "Bearer <token>, again <token>");
  EXPECT_EQ(WireLog::hide_token("nothing here", ""), "nothing here");
}

TEST(WireLog, HideTokenThatOccursInsideItsPlaceholderEnds) {
  EXPECT_EQ(WireLog::hide_token("a token b", "token"), "a <token> b");
  EXPECT_EQ(WireLog::hide_token("tt", "t"), "<token><token>");
}

}  // namespace
}  // namespace flake::conform
