// resolve_tcp: numeric addresses and "localhost" resolve without NSS, in a fixed order.
#include "conformance/client/resolve.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

namespace flake::conform {
namespace {

std::string text_of(const Endpoint& e) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (e.family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&e.addr);
    ::inet_ntop(AF_INET, &in->sin_addr, buffer, sizeof buffer);
    return std::string(buffer) + ":" + std::to_string(ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&e.addr);
  ::inet_ntop(AF_INET6, &in6->sin6_addr, buffer, sizeof buffer);
  return "[" + std::string(buffer) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

TEST(Resolve, NumericAddressesAreParsed) {
  std::string error;
  auto v4 = resolve_tcp("127.0.0.1", 9123, error);
  ASSERT_EQ(v4.size(), 1u) << error;
  EXPECT_EQ(text_of(v4[0]), "127.0.0.1:9123");
  auto v6 = resolve_tcp("::1", 80, error);
  ASSERT_EQ(v6.size(), 1u) << error;
  EXPECT_EQ(text_of(v6[0]), "[::1]:80");
}

TEST(Resolve, LocalhostIsLoopbackIPv4First) {
  for (const char* name : {"localhost", "LocalHost", "localhost."}) {
    std::string error;
    auto found = resolve_tcp(name, 7, error);
    ASSERT_EQ(found.size(), 2u) << name << ": " << error;
    EXPECT_EQ(text_of(found[0]), "127.0.0.1:7");
    EXPECT_EQ(text_of(found[1]), "[::1]:7");
  }
}

}  // namespace
}  // namespace flake::conform
