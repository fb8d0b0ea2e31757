// msgpack_nesting_within: counts nesting through every array and map header width, lets malformed
// bytes through to the decoder, and refuses depths that would overflow from_msgpack's recursion.
#include "conformance/client/msgpack_depth.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace flake::conform {
namespace {

using json = nlohmann::json;

std::string msgpack(const json& value) {
  const std::vector<std::uint8_t> v = json::to_msgpack(value);
  return std::string(v.begin(), v.end());
}

TEST(MsgpackNesting, CountsArraysAndMapsOfEveryWidth) {
  const json v = {{"a", {1, {2, {3}}}}, {"b", json::object()}, {"c", std::string(300, 'x')}};
  const std::string bytes = msgpack(v);
  EXPECT_TRUE(msgpack_nesting_within(bytes, 4));  // map > array > array > array
  EXPECT_FALSE(msgpack_nesting_within(bytes, 3));
  // array16 and map32 headers nest like fixarray.
  const std::string wide = std::string("\xdc\x00\x01", 3) + std::string("\xdf\x00\x00\x00\x01", 5) +
                           std::string("\xa1k\x90", 3);
  EXPECT_TRUE(msgpack_nesting_within(wide, 2));
  EXPECT_FALSE(msgpack_nesting_within(wide, 1));
  // Truncated or reserved bytes are left to the decoder.
  EXPECT_TRUE(msgpack_nesting_within(std::string("\x92\x01", 2), 1));
  EXPECT_TRUE(msgpack_nesting_within(std::string("\xc1", 1), 1));
  EXPECT_TRUE(msgpack_nesting_within("", 1));
}

TEST(MsgpackNesting, RefusesWhatWouldOverflowTheDecoder) {
  // 100,000 nested one-element arrays: from_msgpack would recurse 100,000 deep.
  std::string deep(100000, '\x91');
  deep += '\x01';
  EXPECT_FALSE(msgpack_nesting_within(deep, 512));
  std::string shallow(512, '\x91');
  shallow += '\x01';
  EXPECT_TRUE(msgpack_nesting_within(shallow, 512));
  EXPECT_FALSE(msgpack_nesting_within(shallow, 511));
  // Scalars after a closed container end the value: trailing bytes are the decoder's business.
  EXPECT_TRUE(msgpack_nesting_within(std::string("\x91\x01\x91\x91\x91", 5), 1));
}

}  // namespace
}  // namespace flake::conform
