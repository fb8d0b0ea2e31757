// The sidecar a fuzz or replay run aims at: a URL, or one it starts (--spawn, --reference), with
// the token, the process id for RSS readings and the Host value that fills reproducer
// placeholders.
#pragma once

#include "conformance/client/sidecar_process.hpp"
#include "conformance/client/tls_certs.hpp"
#include "conformance/client/url.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"
#include "conformance/netfuzz/options.hpp"

#include <sys/types.h>
#include <memory>
#include <optional>
#include <string>

namespace flake::conform::netfuzz {

struct FuzzTarget {
  Url url;
  std::string token;
  std::unique_ptr<SidecarProcess> process;  // when started by us
  std::optional<pid_t> pid;                 // for VmRSS: the spawned sidecar or --pid
  std::string description;                  // the command line, when started by us
  TempFile token_file;                      // of --reference, removed after the process stops
  std::unique_ptr<ThrowawayPki> pki;        // of --tls, removed after the process stops
  bool tls = false;                         // every connection but the plain scripts' is TLS

  FuzzTarget() = default;
  FuzzTarget(const FuzzTarget&) = delete;
  FuzzTarget& operator=(const FuzzTarget&) = delete;
  ~FuzzTarget();
  std::string text() const { return url.scheme + "://" + url.authority + url.path; }
};

// Starts or resolves the target and checks that a fresh connection can authenticate. False with
// `error` set on a usage or start problem (exit status 2).
bool open_target(const FuzzOptions& options, FuzzTarget& target, std::string& error);

}  // namespace flake::conform::netfuzz
