// zlib streams of in-memory bytes (see zlib_block.hpp).
#include "reference/codec/zlib_block.hpp"

#include <zlib.h>

namespace flake {

std::optional<std::string> zlib_compress(std::string_view raw, int level) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                level) != Z_OK) {
    return std::nullopt;
  }
  out.resize(size);
  out.shrink_to_fit();  // kept: the bound above is larger than the stream
  return out;
}

bool zlib_uncompress(std::string_view packed, size_t raw_size, std::string& out) {
  out.assign(raw_size, '\0');
  uLongf size = static_cast<uLongf>(raw_size);
  const int status =
      uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                 reinterpret_cast<const Bytef*>(packed.data()), static_cast<uLong>(packed.size()));
  return status == Z_OK && size == raw_size;
}

}  // namespace flake
