// The scripted sidecar's side of the handshake: request heads split anywhere, the upgrade check,
// the deflate answer and the refusal responses.
#include "conformance/peer/upgrade.hpp"

#include "conformance/client/http_handshake.hpp"

#include <gtest/gtest.h>

namespace flake::conform::peer {
namespace {

const std::string kRequest =
    "GET /rpc HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUpgrade: websocket\r\nConnection: keep-alive, "
    "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: chat, flake.v1\r\nSec-WebSocket-Extensions: permessage-deflate; "
    "client_max_window_bits, x-other\r\n\r\n";

TEST(RequestHeadParser, SplitAtEveryByteGivesTheSameHead) {
  const std::string trailing = "\x81\x85";  // the first bytes of a frame sent right after the head
  const std::string bytes = kRequest + trailing;
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    RequestHeadParser parser;
    auto first = parser.feed(std::string_view(bytes).substr(0, split));
    std::size_t used = first.consumed;
    if (first.status == RequestHeadParser::Status::Incomplete) {
      ASSERT_EQ(first.consumed, split);
      const auto second = parser.feed(std::string_view(bytes).substr(split));
      ASSERT_EQ(second.status, RequestHeadParser::Status::Done) << "split " << split;
      used += second.consumed;
    } else {
      ASSERT_EQ(first.status, RequestHeadParser::Status::Done) << "split " << split;
    }
    EXPECT_EQ(used, kRequest.size()) << "split " << split;
    EXPECT_EQ(parser.head().method, "GET");
    EXPECT_EQ(parser.head().target, "/rpc");
    EXPECT_EQ(parser.head().header("sec-websocket-version"), "13");
  }
}

TEST(RequestHeadParser, OneByteAtATime) {
  RequestHeadParser parser;
  for (std::size_t i = 0; i < kRequest.size(); ++i) {
    const auto r = parser.feed(std::string_view(kRequest).substr(i, 1));
    ASSERT_EQ(r.status, i + 1 == kRequest.size() ? RequestHeadParser::Status::Done
                                                 : RequestHeadParser::Status::Incomplete);
  }
  EXPECT_EQ(parser.head().headers.size(), 7u);
}

TEST(RequestHeadParser, RejectsGarbageAndOversizedHeads) {
  RequestHeadParser garbage;
  EXPECT_EQ(garbage.feed("\x16\x03\x01 hello\r\n\r\n").status, RequestHeadParser::Status::Error);
  EXPECT_FALSE(garbage.error().empty());
  RequestHeadParser bad_header;
  EXPECT_EQ(bad_header.feed("GET / HTTP/1.1\r\nno colon here\r\n\r\n").status,
            RequestHeadParser::Status::Error);
  RequestHeadParser huge(1024);
  EXPECT_EQ(huge.feed("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a')).status,
            RequestHeadParser::Status::Error);
}

UpgradeOffer offer_of(const std::string& request, std::string& error) {
  RequestHeadParser parser;
  EXPECT_EQ(parser.feed(request).status, RequestHeadParser::Status::Done);
  const auto offer = check_upgrade(parser.head(), error);
  return offer.value_or(UpgradeOffer{});
}

TEST(CheckUpgrade, ReadsSubprotocolsAndTheDeflateOffer) {
  std::string error;
  const UpgradeOffer offer = offer_of(kRequest, error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_TRUE(offer.offers_flake);
  EXPECT_TRUE(offer.offers_deflate);
  EXPECT_TRUE(offer.client_max_window_bits_offered);
  EXPECT_FALSE(offer.server_max_window_bits.has_value());
}

TEST(CheckUpgrade, RefusesWhatIsNotAnUpgrade) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"GET /rpc", "POST /rpc"},
           {"Upgrade: websocket", "Upgrade: h2c"},
           {"Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"},
           {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: short"},
           {"keep-alive, Upgrade", "keep-alive"}}) {
    std::string request = kRequest;
    request.replace(request.find(from), from.size(), to);
    RequestHeadParser parser;
    ASSERT_EQ(parser.feed(request).status, RequestHeadParser::Status::Done);
    std::string error;
    EXPECT_FALSE(check_upgrade(parser.head(), error).has_value()) << to;
    EXPECT_FALSE(error.empty());
  }
}

TEST(Answers, SwitchingProtocolsCarriesAcceptProtocolAndExtension) {
  std::string error;
  UpgradeOffer offer = offer_of(kRequest, error);
  DeflateAgreement agreed;
  const std::string ext = deflate_answer(offer, agreed);
  EXPECT_EQ(ext, "permessage-deflate");
  const std::string answer = switching_protocols(offer, ext);
  EXPECT_NE(answer.find("HTTP/1.1 101"), std::string::npos);
  // RFC 6455 §1.3's worked example.
  EXPECT_NE(answer.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_NE(answer.find("Sec-WebSocket-Protocol: flake.v1\r\n"), std::string::npos);
  EXPECT_NE(answer.find("Sec-WebSocket-Extensions: permessage-deflate\r\n"), std::string::npos);
  offer.offers_flake = false;
  EXPECT_EQ(switching_protocols(offer, "").find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST(Answers, DeflateHonoursServerParameters) {
  UpgradeOffer offer;
  offer.offers_deflate = true;
  offer.server_no_context_takeover = true;
  offer.server_max_window_bits = 10;
  DeflateAgreement agreed;
  EXPECT_EQ(deflate_answer(offer, agreed),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10");
  EXPECT_TRUE(agreed.server_no_context_takeover);
  EXPECT_EQ(agreed.server_window_bits, 10);
}

TEST(Answers, RefusalsAreCompleteResponses) {
  const std::string with = refusal_response(503, "Service Unavailable", 1);
  EXPECT_TRUE(with.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_NE(with.find("Retry-After: 1\r\n"), std::string::npos);
  const std::string body = with.substr(with.find("\r\n\r\n") + 4);
  EXPECT_NE(with.find("Content-Length: " + std::to_string(body.size())), std::string::npos);
  EXPECT_EQ(refusal_response(503, "Service Unavailable", -1).find("Retry-After"),
            std::string::npos);
}

}  // namespace
}  // namespace flake::conform::peer
