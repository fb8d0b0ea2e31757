// The fuzz and replay subcommands: bursts, the health check after each (system.ping on a fresh
// authenticated connection, the process still alive, VmRSS under its bound), reproducers.
#pragma once

#include <string>

namespace flake::conform::netfuzz {

// Entry point for `flake-conform fuzz ...` and `flake-conform replay ...` (argv[1] says which).
// Exit status: 0 survived / did not reproduce, 1 failure found / reproduced, 2 usage or start.
int netfuzz_main(int argc, char** argv, const std::string& default_sidecar_bin);

}  // namespace flake::conform::netfuzz
