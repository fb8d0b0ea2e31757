// RAII for msgpack-c's growing output buffer, shared by every packer in the reference.
#pragma once

#include <msgpack.h>

#include <string>

namespace flake {

struct MsgpackBuffer {
  MsgpackBuffer() { msgpack_sbuffer_init(&buffer); }
  ~MsgpackBuffer() { msgpack_sbuffer_destroy(&buffer); }
  MsgpackBuffer(const MsgpackBuffer&) = delete;
  MsgpackBuffer& operator=(const MsgpackBuffer&) = delete;
  std::string str() const { return std::string(buffer.data, buffer.size); }
  msgpack_sbuffer buffer;
};

}  // namespace flake
