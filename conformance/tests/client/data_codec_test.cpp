// base64, SHA-256 and zlib helpers: RFC vectors and rejection of malformed input.
#include "conformance/client/data_codec.hpp"

#include <zlib.h>

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

TEST(DataCodec, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"Zg==", "f"},
                                                         {"Zm8=", "fo"},
                                                         {"Zm9v", "foo"},
                                                         {"Zm9vYg==", "foob"},
                                                         {"Zm9vYmE=", "fooba"},
                                                         {"Zm9vYmFy", "foobar"}};
  for (const auto& [encoded, plain] : vectors) {
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
  const auto zeros = base64_decode("AAAA");
  ASSERT_TRUE(zeros);
  EXPECT_EQ(*zeros, std::string(3, '\0'));
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v\n", "Zm-v", "=Zm9", "Zg==Zg=="}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(DataCodec, Sha256) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DataCodec, ZlibInflate) {
  const std::string plain(100000, 'q');
  uLongf size = compressBound(plain.size());
  std::string packed(size, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &size,
                     reinterpret_cast<const Bytef*>(plain.data()), plain.size()),
            Z_OK);
  packed.resize(size);
  const auto out = zlib_inflate(packed, 1 << 20);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, plain);
  EXPECT_FALSE(zlib_inflate(packed, 1000).has_value());                      // over the bound
  EXPECT_FALSE(zlib_inflate(packed.substr(0, packed.size() - 3), 1 << 20));  // truncated
  EXPECT_FALSE(zlib_inflate(packed + "x", 1 << 20));                         // trailing bytes
  EXPECT_FALSE(zlib_inflate("not zlib at all", 1 << 20));
}

TEST(DataCodec, GzipInflate) {
  const std::string plain(50000, 'g');
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string packed(deflateBound(&z, plain.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  packed.resize(z.total_out);
  deflateEnd(&z);
  const auto out = gzip_inflate(packed, 1 << 20);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, plain);
  EXPECT_FALSE(gzip_inflate(packed, 1000).has_value());                      // over the bound
  EXPECT_FALSE(gzip_inflate(packed.substr(0, packed.size() - 3), 1 << 20));  // truncated
  EXPECT_FALSE(zlib_inflate(packed, 1 << 20));  // a gzip member is not a zlib stream
}

}  // namespace
}  // namespace flake::conform
