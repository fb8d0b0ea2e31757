// JSON text straight to MessagePack bytes, without building a cJSON tree: the fast path for log
// history entries (text the sidecar wrote itself) on their way into logs.getLarge (§6.8).
#pragma once

#include <string>
#include <string_view>

namespace flake {

// Appends to `out` exactly what encode_msgpack(parse_json(text)) would produce and returns true,
// for the common shape of JSON: objects of at most 32 keys and no duplicates, arrays, strings
// without escapes, integers of at most 15 digits, true, false, null. Returns false (with `out` as
// it was) for anything else, valid or not, so the caller can take the full parse instead.
bool json_to_msgpack(std::string_view text, std::string& out);

}  // namespace flake
