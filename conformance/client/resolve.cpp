// resolve_tcp: numeric hosts and "localhost" never reach NSS (a static glibc cannot load its
// modules reliably); other names go through getaddrinfo as before.
#include "conformance/client/resolve.hpp"

#include <netdb.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace flake::conform {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* p) const { ::freeaddrinfo(p); }
};

// getaddrinfo with `flags`; appends what it finds to `out`. Its error code, 0 on success.
int add_addresses(const std::string& host, std::uint16_t port, int flags,
                  std::vector<Endpoint>& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &raw); rc != 0) {
    return rc;
  }
  std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Endpoint e;
    e.family = ai->ai_family;
    std::memcpy(&e.addr, ai->ai_addr, ai->ai_addrlen);
    e.len = ai->ai_addrlen;
    out.push_back(e);
  }
  return 0;
}

bool is_localhost(std::string host) {
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host == "localhost" || host == "localhost.";
}

}  // namespace

std::vector<Endpoint> resolve_tcp(const std::string& host, std::uint16_t port, std::string& error) {
  std::vector<Endpoint> found;
  if (add_addresses(host, port, AI_NUMERICHOST, found) == 0 && !found.empty()) return found;
  if (is_localhost(host)) {
    add_addresses("127.0.0.1", port, AI_NUMERICHOST, found);
    add_addresses("::1", port, AI_NUMERICHOST, found);
    if (!found.empty()) return found;
  }
  if (const int rc = add_addresses(host, port, 0, found); rc != 0) {
    error = std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc);
    return {};
  }
  if (found.empty()) error = "no address for " + host;
  return found;
}

}  // namespace flake::conform
