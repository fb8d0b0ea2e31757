// docs/protocol.md as it was when this binary was built, for --coverage without a source tree.
#pragma once

#include <string_view>

namespace flake::conform {

std::string_view embedded_spec();

}  // namespace flake::conform
