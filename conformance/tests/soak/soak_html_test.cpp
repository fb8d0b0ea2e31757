// write_html: the page stands alone (no external references, no scripts), escapes what the
// sidecar's answers put into findings, shows the verdict, and draws one line per plotted series.
#include "conformance/soak/soak_report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace flake::conform::soak {
namespace {

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

// A process's samples: RSS levelling off at about 40 MiB, descriptors at 20.
ResourceSeries series(int incarnation, double from_s, int samples) {
  ResourceSeries s{.incarnation = incarnation};
  for (int i = 0; i < samples; ++i) {
    const double t = from_s + i;
    s.rss_kib.push_back({t, 40960.0 + (i < 3 ? 1024.0 * i : 3072.0)});
    s.fds.push_back({t, 20.0 + i % 2});
  }
  s.rss = judge_trend(s.rss_kib, TrendLimit{});
  s.fd = judge_trend(s.fds, TrendLimit{.relative = 0, .absolute = 4});
  return s;
}

SoakReport failed_report() {
  SoakReport r;
  r.target = "ws://127.0.0.1:4000/rpc";
  r.sidecar = "flake-sidecar --port 0 --token-file <temporary file>";
  r.seed = 42;
  r.seconds = 20.5;
  r.clients = 4;
  r.ended_by = "duration";
  r.settings = {{"duration_s", 20}, {"fault_rate", 0.5}};
  r.totals = {{"calls", 120}, {"answered", 119}, {"notifications_lost", 1}};
  r.faults = {{"cut", 3}, {"restart (SIGTERM)", 1}};
  r.recovery_judged = percentiles({800, 950, 1200});
  r.recovery_all = percentiles({800, 950, 1200, 40});
  r.resources = {series(0, 0, 10), series(1, 10.2, 10)};
  r.checks = {{"loss", "7.2b", "every notification delivered", 1},
              {"duplicate", "6.2c", "no seq twice", 0}};
  r.findings = {{.check = "loss",
                 .rule = "7.2b",
                 .detail = "seq 7 never came <script>alert(1)</script> & the replay skipped it",
                 .at_s = 12.25,
                 .client = 3}};
  r.passed = false;
  return r;
}

TEST(SoakHtml, StandsAloneEscapesAndPlotsEverySeries) {
  const std::string path = temp_path("soak_failed.html");
  std::string error;
  ASSERT_TRUE(write_html(path, failed_report(), error)) << error;
  const std::string page = read(path);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos) << "the finding's detail went in raw";
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; the replay"), std::string::npos);
  EXPECT_NE(page.find("FAILED"), std::string::npos);
  EXPECT_EQ(page.find("PASSED"), std::string::npos);
  EXPECT_NE(page.find("ws://127.0.0.1:4000/rpc"), std::string::npos);
  EXPECT_NE(page.find("&lt;temporary file&gt;"), std::string::npos);
  // Two processes, an RSS and a descriptor plot each, one line in every plot.
  EXPECT_EQ(count(page, "<svg"), 4u);
  EXPECT_EQ(count(page, "<polyline"), 4u);
  EXPECT_EQ(count(page, "<path"), 0u);
  // The failing check's row is marked, the passing one is not.
  EXPECT_EQ(count(page, "class=\"failrow\""), 1u);
  EXPECT_NE(page.find("restart (SIGTERM)"), std::string::npos);
  EXPECT_NE(page.find("flat"), std::string::npos);
}

TEST(SoakHtml, PassedWithoutSamplesSaysWhy) {
  SoakReport r;
  r.target = "ws://sidecar.example:4000/rpc";
  r.ended_by = "disconnects";
  r.resources_note = "not sampled: a URL target";
  r.checks = {{"loss", "7.2b", "every notification delivered", 0}};
  const std::string path = temp_path("soak_passed.html");
  std::string error;
  ASSERT_TRUE(write_html(path, r, error)) << error;
  const std::string page = read(path);
  EXPECT_NE(page.find("PASSED"), std::string::npos);
  EXPECT_EQ(page.find("FAILED"), std::string::npos);
  EXPECT_NE(page.find("not sampled: a URL target"), std::string::npos);
  EXPECT_NE(page.find("No findings."), std::string::npos);
  EXPECT_EQ(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("class=\"failrow\""), std::string::npos);
}

TEST(SoakHtml, ASingleSampleIsNotPlotted) {
  SoakReport r = failed_report();
  r.resources = {series(0, 0, 1)};
  const std::string path = temp_path("soak_one_sample.html");
  std::string error;
  ASSERT_TRUE(write_html(path, r, error)) << error;
  const std::string page = read(path);
  EXPECT_EQ(count(page, "<polyline"), 0u);
  EXPECT_EQ(count(page, "too few samples to plot"), 2u);
}

TEST(SoakHtml, AnUnwritablePathIsAnError) {
  std::string error;
  EXPECT_FALSE(write_html("/nonexistent-dir/soak.html", failed_report(), error));
  EXPECT_NE(error.find("/nonexistent-dir/soak.html"), std::string::npos);
}

}  // namespace
}  // namespace flake::conform::soak
