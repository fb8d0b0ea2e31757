// Tests for the Origin and Host allowlists, including the lookalikes DNS rebinding and header
// tricks use.
#include "reference/http/access_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flake {
namespace {

AccessPolicy policy() {
  return AccessPolicy{9123, {}, {}, false};
}

AccessVerdict host_only(const AccessPolicy& p, std::string_view host) {
  return check_access(p, host, std::nullopt);
}

TEST(AccessPolicyHost, LoopbackNamesWithTheListeningPort) {
  const AccessPolicy p = policy();
  EXPECT_EQ(host_only(p, "127.0.0.1:9123"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "localhost:9123"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "[::1]:9123"), AccessVerdict::kAllowed);
}

TEST(AccessPolicyHost, HostPartIsCaseInsensitive) {
  const AccessPolicy p = policy();
  EXPECT_EQ(host_only(p, "LOCALHOST:9123"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "LocalHost:9123"), AccessVerdict::kAllowed);
}

TEST(AccessPolicyHost, MissingOrEmptyHostIsRefused) {
  const AccessPolicy p = policy();
  EXPECT_EQ(check_access(p, std::nullopt, std::nullopt), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, ""), AccessVerdict::kBadHost);
}

TEST(AccessPolicyHost, PortMustBePresentAndExact) {
  const AccessPolicy p = policy();
  for (const char* host :
       {"127.0.0.1", "localhost", "[::1]", "localhost:", "localhost:9124", "localhost:912",
        "localhost:91230", "localhost:09123", "localhost:009123", "localhost:+9123",
        "localhost:-9123", "localhost:9123 ", "localhost: 9123", " localhost:9123",
        "localhost:9123\t", "localhost:0x23a3", "localhost:80", "localhost:9123:9123",
        "127.0.0.1:9123.evil.com"}) {
    EXPECT_EQ(host_only(p, host), AccessVerdict::kBadHost) << host;
  }
}

TEST(AccessPolicyHost, ForeignAndLookalikeNamesAreRefused) {
  const AccessPolicy p = policy();
  for (const char* host : {"evil.com",
                           "evil.com:9123",
                           "localhost.evil.com:9123",
                           "evil.localhost:9123",
                           "localhost.:9123",
                           "127.0.0.2:9123",
                           "127.1:9123",
                           "2130706433:9123",
                           "0x7f000001:9123",
                           "0.0.0.0:9123",
                           "::1:9123",
                           "[::1]",
                           "[0:0:0:0:0:0:0:1]:9123",
                           "[::1]9123",
                           "[::1]]:9123",
                           "[::1:9123",
                           "[[::1]]:9123",
                           "tauri.localhost:9123",
                           "127.0.0.1:9123/",
                           "127.0.0.1:9123/rpc"}) {
    EXPECT_EQ(host_only(p, host), AccessVerdict::kBadHost) << host;
  }
}

TEST(AccessPolicyHost, UserinfoSpacesCommasAndControlBytesAreRefused) {
  const AccessPolicy p = policy();
  for (const char* host :
       {"user@localhost:9123", "localhost:9123@evil.com", "evil.com@localhost:9123",
        "user:pass@127.0.0.1:9123", "localhost:9123, evil.com", "localhost:9123,localhost:9123",
        "evil.com,localhost:9123", "local host:9123", "localhost%3a9123",
        "localhost:9123\r\nX: y"}) {
    EXPECT_EQ(host_only(p, host), AccessVerdict::kBadHost) << host;
  }
  EXPECT_EQ(host_only(p, std::string_view("localhost:9123\0evil", 19)), AccessVerdict::kBadHost);
}

TEST(AccessPolicyHost, AllowHostMatchesNameWithOrWithoutThePort) {
  AccessPolicy p = policy();
  p.extra_hosts = {"myapp.internal"};
  EXPECT_EQ(host_only(p, "myapp.internal"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "myapp.internal:9123"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "MyApp.Internal:9123"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "myapp.internal:9124"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "myapp.internal:09123"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "myapp.internal:"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "myapp.internal.evil.com"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "xmyapp.internal"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "user@myapp.internal"), AccessVerdict::kBadHost);
  // The loopback names keep requiring their port even when other names are added.
  EXPECT_EQ(host_only(p, "localhost"), AccessVerdict::kBadHost);
}

TEST(AccessPolicyHost, AllowHostEntryWithItsOwnPortMatchesExactly) {
  AccessPolicy p = policy();
  p.extra_hosts = {"proxy.test:8443"};
  EXPECT_EQ(host_only(p, "proxy.test:8443"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "proxy.test:8443:9123"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "proxy.test"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "proxy.test:9123"), AccessVerdict::kBadHost);
}

TEST(AccessPolicyHost, OddAllowHostEntriesDoNotOpenTheHeaderRules) {
  // Whatever an operator passes, the header itself must still be a well-formed host[:port].
  AccessPolicy p = policy();
  p.extra_hosts = {"a b", "x@y", "h,i", "foo:1:2", "[::1"};
  for (const char* host : {"a b", "x@y", "h,i", "foo:1:2", "[::1", "a b:9123", "x@y:9123"}) {
    EXPECT_EQ(host_only(p, host), AccessVerdict::kBadHost) << host;
  }
}

TEST(AccessPolicyHost, EmptyAllowHostEntryMatchesNothing) {
  AccessPolicy p = policy();
  p.extra_hosts = {""};
  EXPECT_EQ(host_only(p, ":9123"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, ""), AccessVerdict::kBadHost);
}

TEST(AccessPolicyHost, PortFollowsThePolicy) {
  AccessPolicy p = policy();
  p.port = 80;
  EXPECT_EQ(host_only(p, "localhost:80"), AccessVerdict::kAllowed);
  EXPECT_EQ(host_only(p, "localhost:9123"), AccessVerdict::kBadHost);
  EXPECT_EQ(host_only(p, "localhost"),
            AccessVerdict::kBadHost);  // even the default port is explicit
  p.port = 0;                          // not resolved yet: fail closed
  EXPECT_EQ(host_only(p, "localhost:0"), AccessVerdict::kBadHost);
}

TEST(AccessPolicyOrigin, AbsentOriginIsAllowed) {
  EXPECT_EQ(check_access(policy(), "localhost:9123", std::nullopt), AccessVerdict::kAllowed);
}

TEST(AccessPolicyOrigin, DefaultTauriOrigins) {
  const AccessPolicy p = policy();
  for (const char* origin :
       {"tauri://localhost", "http://tauri.localhost", "https://tauri.localhost",
        "TAURI://LOCALHOST", "HTTPS://Tauri.LocalHost"}) {
    EXPECT_EQ(check_access(p, "127.0.0.1:9123", origin), AccessVerdict::kAllowed) << origin;
    EXPECT_TRUE(origin_allowed(p, origin)) << origin;
  }
}

TEST(AccessPolicyOrigin, AnythingElseIsRefused) {
  const AccessPolicy p = policy();
  for (const char* origin :
       {"", "null", "NULL", "http://localhost:3000", "http://localhost", "https://evil.com",
        "tauri://localhost/", "tauri://localhost:9123", "tauri://localhost.evil.com",
        "http://tauri.localhost.evil.com", "https://tauri.localhost:443", " tauri://localhost",
        "tauri://localhost ", "tauri://localhost, https://evil.com", "tauri://localhost\r\n",
        "http://127.0.0.1:9123", "file://", "tauri:/localhost", "tauri//localhost"}) {
    EXPECT_EQ(check_access(p, "127.0.0.1:9123", std::string_view(origin)),
              AccessVerdict::kBadOrigin)
        << origin;
    EXPECT_FALSE(origin_allowed(p, origin)) << origin;
  }
}

TEST(AccessPolicyOrigin, AllowOriginAddsExactEntries) {
  AccessPolicy p = policy();
  p.extra_origins = {"http://localhost:3000"};
  EXPECT_EQ(check_access(p, "localhost:9123", "http://localhost:3000"), AccessVerdict::kAllowed);
  EXPECT_EQ(check_access(p, "localhost:9123", "HTTP://LOCALHOST:3000"), AccessVerdict::kAllowed);
  EXPECT_EQ(check_access(p, "localhost:9123", "http://localhost:3000/"), AccessVerdict::kBadOrigin);
  EXPECT_EQ(check_access(p, "localhost:9123", "http://localhost:3001"), AccessVerdict::kBadOrigin);
  EXPECT_EQ(check_access(p, "localhost:9123", "http://localhost"), AccessVerdict::kBadOrigin);
  EXPECT_EQ(check_access(p, "localhost:9123", "https://localhost:3000"), AccessVerdict::kBadOrigin);
  EXPECT_EQ(check_access(p, "localhost:9123", "tauri://localhost"), AccessVerdict::kAllowed);
}

TEST(AccessPolicyOrigin, NullIsNeverAllowedEvenWhenConfigured) {
  AccessPolicy p = policy();
  p.extra_origins = {"null", ""};
  EXPECT_FALSE(origin_allowed(p, "null"));
  EXPECT_FALSE(origin_allowed(p, ""));
  EXPECT_EQ(check_access(p, "localhost:9123", "null"), AccessVerdict::kBadOrigin);
}

TEST(AccessPolicy, BadHostIsReportedBeforeBadOrigin) {
  EXPECT_EQ(check_access(policy(), "evil.com", "https://evil.com"), AccessVerdict::kBadHost);
  EXPECT_EQ(check_access(policy(), std::nullopt, "https://evil.com"), AccessVerdict::kBadHost);
}

}  // namespace
}  // namespace flake
