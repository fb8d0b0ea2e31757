// A nesting-depth check for MessagePack from a peer, run before nlohmann's from_msgpack, which
// recurses once per level and overflows the stack on about 100 KB of nested one-element arrays.
#pragma once

#include <string>

namespace flake::conform {

// Whether `bytes` hold MessagePack whose arrays and maps nest at most `max_depth` deep, checked in
// one pass without recursion. Malformed or truncated bytes pass: the decoder reports them.
bool msgpack_nesting_within(const std::string& bytes, int max_depth);

}  // namespace flake::conform
