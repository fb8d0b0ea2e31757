// Where the companion programs an installed or built flake-conform starts (flake-sidecar,
// flake-client-driver) are: beside the running executable when installed, else in the build tree.
#pragma once

#include <string>
#include <string_view>

namespace flake::conform {

// The directory of the running executable (/proc/self/exe without its last component); empty
// when /proc is not mounted.
std::string executable_dir();

// `dir`/`name` when that is an executable file, else `fallback`.
std::string program_in(const std::string& dir, std::string_view name, std::string fallback);

// `name` beside the running executable (an installed flake-conform finds the flake-sidecar
// installed with it), else `build_tree_path`, the path compiled in for the build tree.
std::string companion_program(std::string_view name, std::string build_tree_path);

}  // namespace flake::conform
