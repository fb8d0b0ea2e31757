// `flake-conform replay FILE.flake-replay ...`: plays a reproducer written by --reproducers.
#pragma once

#include <string>

namespace flake::conform::repro {

// True when the command line names a flake-replay/1 script (a FILE ending in ".flake-replay" or
// starting with the format's first line); the fuzzer's JSON reproducers go to its own replay.
bool names_script(int argc, char** argv);

// argv[1] is "replay". Exit status: 0 played to the end, 2 usage, file or target errors.
int replay_main(int argc, char** argv, const std::string& default_sidecar_bin);

std::string replay_script_usage(const std::string& default_sidecar_bin);

}  // namespace flake::conform::repro
