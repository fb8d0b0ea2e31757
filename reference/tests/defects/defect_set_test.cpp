// DefectSet: a switch on every transport, or limited to one path with NAME@PATH.
#include "reference/defects/defects.hpp"
#include "reference/defects/limits.hpp"

#include <gtest/gtest.h>

namespace flake {
namespace {

TEST(DefectSet, PlainNameActsEverywhere) {
  const DefectSet set = parse_defects({"empty-batch-array"});
  EXPECT_TRUE(set.test(Defect::kEmptyBatchArray));
  for (Transport t : {Transport::Text, Transport::MsgPack, Transport::Http, Transport::Sse}) {
    EXPECT_TRUE(set.test(Defect::kEmptyBatchArray, t));
  }
  EXPECT_FALSE(set.test(Defect::kSeqGap));
}

TEST(DefectSet, OnePathOnly) {
  const DefectSet set = parse_defects({"empty-batch-array@http"});
  EXPECT_TRUE(set.test(Defect::kEmptyBatchArray, Transport::Http));
  EXPECT_FALSE(set.test(Defect::kEmptyBatchArray, Transport::Text));
  EXPECT_FALSE(set.test(Defect::kEmptyBatchArray, Transport::MsgPack));
  // Code that cannot tell paths apart never sees a restricted switch.
  EXPECT_FALSE(set.test(Defect::kEmptyBatchArray));
  // Paths add up; all four are the plain switch.
  const DefectSet three = parse_defects(
      {"empty-batch-array@http", "empty-batch-array@text", "empty-batch-array@msgpack"});
  EXPECT_FALSE(three.test(Defect::kEmptyBatchArray));
  const DefectSet all = parse_defects({"empty-batch-array@http", "empty-batch-array@text",
                                       "empty-batch-array@msgpack", "empty-batch-array@sse"});
  EXPECT_TRUE(all.test(Defect::kEmptyBatchArray));
}

TEST(DefectSet, SpecsAreValidated) {
  std::optional<Transport> only;
  ASSERT_NE(find_defect_spec("seq-gap@msgpack", only), nullptr);
  EXPECT_EQ(only, Transport::MsgPack);
  EXPECT_NE(find_defect_spec("seq-gap", only), nullptr);
  EXPECT_FALSE(only.has_value());
  ASSERT_NE(find_defect_spec("seq-gap@sse", only), nullptr);
  EXPECT_EQ(only, Transport::Sse);
  EXPECT_EQ(find_defect_spec("seq-gap@tcp", only), nullptr);
  EXPECT_EQ(find_defect_spec("no-such@http", only), nullptr);
  EXPECT_EQ(find_defect_spec("seq-gap@", only), nullptr);
}

TEST(DefectSet, LimitsPerTransport) {
  const DefectSet set = parse_defects({"no-batch-limit@msgpack"});
  const Options o;
  EXPECT_EQ(resolve_limits(o, set, Transport::Text).max_batch, kMaxBatch);
  EXPECT_GT(resolve_limits(o, set, Transport::MsgPack).max_batch, kMaxBatch);
  EXPECT_EQ(resolve_limits(o, set).max_batch, kMaxBatch);
}

}  // namespace
}  // namespace flake
