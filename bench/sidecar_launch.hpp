// Starting the sidecar under test for --reference / --spawn: the conformance harness's
// SidecarProcess (own process group, output captured, killed with us) plus a temporary token file.
#pragma once

#include "load_options.hpp"
#include "sidecar_process.hpp"
#include "url.hpp"

#include <memory>
#include <string>

namespace flake::bench {

struct LaunchedSidecar {
  std::unique_ptr<conform::SidecarProcess> process;
  conform::Url url;
  std::string token;
  std::string description;  // the command, token file elided
  std::string token_file;   // removed by the destructor
  ~LaunchedSidecar();
};

// Starts and waits (≤ 10 s) for the "listening on ws://…" line. nullptr and `error` on failure.
std::unique_ptr<LaunchedSidecar> launch_sidecar(const LoadOptions& o, std::string& error);

}  // namespace flake::bench
