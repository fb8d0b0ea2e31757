// `flake-conform client ...`: client mode's entry point, called by main() when argv[1] is "client".
#pragma once

#include <string>

namespace flake::conform::client {

int client_main(int argc, char** argv, const std::string& default_driver_bin);

}  // namespace flake::conform::client
