// The TLS front's pure pieces: ALPN choice (§14.3c/d), the first-byte sniff (§14.3f), the
// fingerprint's format (§14.2d) and the start-up errors of make_server_tls (§14.2c).
#include "reference/tls/server_tls.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

namespace flake::tls {
namespace {

std::basic_string<uint8_t> wire(std::initializer_list<std::string_view> names) {
  std::basic_string<uint8_t> out;
  for (std::string_view name : names) {
    out += static_cast<uint8_t>(name.size());
    out.append(name.begin(), name.end());
  }
  return out;
}

TEST(Alpn, SelectsHttp11WhereverItIsOffered) {
  const TlsPolicy rule;
  EXPECT_EQ(choose_alpn(wire({"http/1.1"}), rule), AlpnChoice::kHttp11);
  EXPECT_EQ(choose_alpn(wire({"h2", "http/1.1"}), rule), AlpnChoice::kHttp11);
  EXPECT_EQ(choose_alpn(wire({"h2", "http/1.0"}), rule), AlpnChoice::kRefuse);
  EXPECT_EQ(choose_alpn(wire({"http/1.11"}), rule), AlpnChoice::kRefuse);
}

TEST(Alpn, MalformedOffersAreRefusedNotOverread) {
  const TlsPolicy rule;
  std::basic_string<uint8_t> truncated = wire({"http/1.1"});
  truncated.pop_back();
  EXPECT_EQ(choose_alpn(truncated, rule), AlpnChoice::kRefuse);
  EXPECT_EQ(choose_alpn(std::basic_string<uint8_t>{0}, rule), AlpnChoice::kRefuse);
}

TEST(Alpn, DefectsChangeTheChoice) {
  EXPECT_EQ(choose_alpn(wire({"http/1.1"}), TlsPolicy{.alpn_none = true}), AlpnChoice::kNoAlpn);
  EXPECT_EQ(choose_alpn(wire({"h2"}), TlsPolicy{.alpn_any = true}), AlpnChoice::kNoAlpn);
  EXPECT_EQ(choose_alpn(wire({"http/1.1"}), TlsPolicy{.alpn_any = true}), AlpnChoice::kHttp11);
}

TEST(Sniff, OnlyAHandshakeRecordStartsTls) {
  EXPECT_TRUE(starts_tls_record(0x16));
  for (uint8_t b : {uint8_t{'G'}, uint8_t{'P'}, uint8_t{0x15}, uint8_t{0x17}, uint8_t{0x80}}) {
    EXPECT_FALSE(starts_tls_record(b)) << int(b);
  }
}

TEST(Fingerprint, UpperCaseHexOctetsSeparatedByColons) {
  std::array<uint8_t, 32> bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 9);
  const std::string text = colon_hex(bytes);
  EXPECT_TRUE(std::regex_match(text, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}"))) << text;
  EXPECT_TRUE(text.starts_with("00:09:12:1B"));
}

TEST(ServerContext, UnreadableFilesAreErrorsNamingTheFile) {
  std::string error;
  EXPECT_FALSE(make_server_tls("/nonexistent/cert.pem", "/nonexistent/key.pem", {}, error));
  EXPECT_NE(error.find("/nonexistent/cert.pem"), std::string::npos) << error;
  const std::string garbage = testing::TempDir() + "flake-tls-garbage.pem";
  FILE* f = std::fopen(garbage.c_str(), "w");
  std::fputs("not a certificate\n", f);
  std::fclose(f);
  error.clear();
  EXPECT_FALSE(make_server_tls(garbage, garbage, {}, error));
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  std::remove(garbage.c_str());
}

}  // namespace
}  // namespace flake::tls
