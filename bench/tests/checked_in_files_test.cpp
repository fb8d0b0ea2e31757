// The checked-in bench files (bench/baseline.json and any other JSON under bench/): they must
// name nothing of the machine that made them, and the baseline must be one compare reads.
#include "bench/load/bench_compare.hpp"
#include "bench/load/bench_report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#ifndef FLAKE_SOURCE_DIR
#error "FLAKE_SOURCE_DIR must name the source tree"
#endif

namespace flake::bench {
namespace {

namespace fs = std::filesystem;

// An absolute path: "/x/y" (two components, so that "1,000 /s" and "a / b" pass), "~/x", "C:\x".
bool has_absolute_path(const std::string& text) {
  static const std::regex path(R"((^|[\s"'=(])(/[^\s/]+/|~/|[A-Za-z]:\\))");
  return std::regex_search(text, path);
}

void strings_with_paths(const nlohmann::json& j, const std::string& where,
                        std::vector<std::string>& found) {
  if (j.is_string() && has_absolute_path(j.get<std::string>())) {
    found.push_back(where + ": " + j.get<std::string>());
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) strings_with_paths(v, where + "." + k, found);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      strings_with_paths(j[i], where + "[" + std::to_string(i) + "]", found);
    }
  }
}

TEST(CheckedInFiles, PathDetector) {
  EXPECT_TRUE(has_absolute_path("/work/main/build/reference/flake-sidecar --port 0"));
  EXPECT_TRUE(has_absolute_path("sh -c /home/x/y"));
  EXPECT_TRUE(has_absolute_path("~/bin/sidecar"));
  EXPECT_FALSE(has_absolute_path("reference/flake-sidecar --port 0 --token-file <temporary>"));
  EXPECT_FALSE(has_absolute_path(">= 1,000,000 /s"));
  EXPECT_FALSE(has_absolute_path("sidecar / floor >= 0.70"));
}

TEST(CheckedInFiles, NoAbsolutePathsInBenchJson) {
  const fs::path bench = fs::path(FLAKE_SOURCE_DIR) / "bench";
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(bench)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    ++files;
    std::ifstream in(entry.path());
    const auto j = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << entry.path() << " is not valid JSON";
    std::vector<std::string> found;
    strings_with_paths(j, entry.path().filename().string(), found);
    for (const auto& f : found) ADD_FAILURE() << "machine-specific path in " << f;
  }
  EXPECT_GE(files, 1u);  // at least bench/baseline.json
}

TEST(CheckedInFiles, BaselineIsReadableAndEqualToItself) {
  const std::string path = (fs::path(FLAKE_SOURCE_DIR) / "bench" / "baseline.json").string();
  std::string error;
  const auto set = read_ratios(path, error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->kind, "baseline");
  EXPECT_FALSE(set->ratios.empty());
  std::FILE* sink = std::tmpfile();
  const std::vector<std::string> args = {path, path};
  EXPECT_EQ(compare_command(args, sink, sink), 0);
  std::fclose(sink);
}

TEST(CheckedInFiles, ReportsNameTheSidecarWithoutItsDirectory) {
  EXPECT_EQ(target_name("/work/x/build/release/reference/flake-sidecar", "/work/x/build/release"),
            "reference/flake-sidecar");
  EXPECT_EQ(target_name("/work/x/build/release/reference/flake-sidecar", "/work/x/build/release/"),
            "reference/flake-sidecar");
  EXPECT_EQ(target_name("/opt/old/flake-sidecar", "/work/x/build/release"), "flake-sidecar");
  EXPECT_EQ(target_name("../old/flake-sidecar", "/work/x/build"), "../old/flake-sidecar");
  EXPECT_EQ(target_name("/work/x/build-old/flake-sidecar", "/work/x/build"), "flake-sidecar");
  EXPECT_FALSE(has_absolute_path(target_name("/a/b/c", "")));
}

}  // namespace
}  // namespace flake::bench
