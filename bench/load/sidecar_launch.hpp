// Starting the sidecar under test for --reference / --spawn: the harness's start-up
// (conformance/harness/target/sidecar_startup.hpp) with flake-bench's options, messages and a
// limiter switched off.
#pragma once

#include "bench/load/options.hpp"
#include "conformance/client/sidecar_process.hpp"
#include "conformance/client/url.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"

#include <memory>
#include <string>

namespace flake::bench {

struct LaunchedSidecar {
  std::unique_ptr<conform::SidecarProcess> process;
  conform::Url url;
  std::string token;
  conform::TempFile token_file;  // of --reference, removed after the process stops
  ~LaunchedSidecar();
};

// The certificate chain and key a --tls start passes as --tls-cert and --tls-key.
struct TlsFiles {
  std::string chain_file;
  std::string key_file;
};

// Starts and waits (≤ 10 s) for the "listening on ws://…" line (wss:// with `tls`, which adds
// --tls-cert/--tls-key to the reference's options or to the end of a --spawn command). nullptr
// and `error` on failure.
std::unique_ptr<LaunchedSidecar> launch_sidecar(const LoadOptions& o, std::string& error,
                                                const TlsFiles* tls = nullptr);

}  // namespace flake::bench
