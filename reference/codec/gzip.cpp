// One-shot gzip through a deflate stream with gzip window bits, owned by RAII so every path ends
// it.
#include "reference/codec/gzip.hpp"

#include <zlib.h>

namespace flake {

namespace {

class GzipStream {
 public:
  GzipStream() {
    // 15 window bits + 16: zlib writes a gzip header and trailer instead of the zlib wrapper.
    ok_ = deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK;
  }
  ~GzipStream() {
    if (ok_) deflateEnd(&z_);
  }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  bool ok() const { return ok_; }
  z_stream& get() { return z_; }

 private:
  z_stream z_{};
  bool ok_ = false;
};

}  // namespace

std::optional<std::string> gzip_compress(std::string_view data) {
  GzipStream stream;
  if (!stream.ok()) return std::nullopt;
  z_stream& z = stream.get();
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) return std::nullopt;
  out.resize(z.total_out);
  return out;
}

}  // namespace flake
