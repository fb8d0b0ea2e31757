// `flake-conform soak ...`: conformance under load and faults over time (docs/soak.md).
#pragma once

#include <string>

namespace flake::conform::soak {

// argv[1] is "soak". Exit status as soak_usage_text says.
int soak_main(int argc, char** argv, const std::string& default_sidecar_bin);

}  // namespace flake::conform::soak
