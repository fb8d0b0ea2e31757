// write_json: the maps and lists the schema (conformance/schemas/soak-report.schema.json) declares
// as objects and arrays stay so when they are empty, as in the report of a soak that never started.
#include "conformance/soak/soak_report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace flake::conform::soak {
namespace {

TEST(SoakJson, ASoakThatNeverStartedStillHasObjects) {
  SoakReport r;
  r.ended_by = "could not start a fault proxy: no port";
  r.passed = false;
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "soak_unstarted.json").string();
  std::string error;
  ASSERT_TRUE(write_json(path, r, error)) << error;
  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in);
  // The schema declares these as objects and arrays; an empty map must not come out as null.
  for (const char* key : {"settings", "totals", "faults", "recovery_ms"}) {
    EXPECT_TRUE(doc.at(key).is_object()) << key << ": " << doc.at(key).dump();
  }
  for (const char* key : {"resources", "checks", "findings"}) {
    EXPECT_TRUE(doc.at(key).is_array()) << key << ": " << doc.at(key).dump();
  }
}

TEST(SoakJson, PercentilesTakeTheNearestRank) {
  const Percentiles p = percentiles({5, 1, 4, 2, 3, 10, 9, 8, 7, 6});
  EXPECT_EQ(p.count, 10u);
  EXPECT_EQ(p.p50, 5);
  EXPECT_EQ(p.p90, 9);
  EXPECT_EQ(p.p99, 10);
  EXPECT_EQ(p.max, 10);
}

}  // namespace
}  // namespace flake::conform::soak
