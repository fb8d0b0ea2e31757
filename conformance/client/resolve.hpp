// Host names to TCP endpoints without NSS for the hosts the suite meets in practice (numeric
// addresses and "localhost"), so that a fully static flake-conform connects on any machine.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flake::conform {

struct Endpoint {
  int family = AF_UNSPEC;
  sockaddr_storage addr{};
  socklen_t len = 0;

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&addr); }
};

// The addresses of host:port to try in order. A numeric IPv4 or IPv6 address is parsed
// (AI_NUMERICHOST); "localhost" is 127.0.0.1 then ::1 (RFC 6761 reserves the name for loopback);
// any other name goes to getaddrinfo, which in a static executable needs the build machine's
// glibc NSS modules at run time. Empty with `error` set when nothing resolves.
std::vector<Endpoint> resolve_tcp(const std::string& host, std::uint16_t port, std::string& error);

}  // namespace flake::conform
