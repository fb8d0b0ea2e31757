// svg_measurement: one self-contained <svg> per measurement, the judged point red exactly when it
// misses the bar, and every coordinate inside the drawing.
#include "conformance/harness/report/svg.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace flake::conform {
namespace {

Measurement latency(double p99) {
  Measurement m{.name = "system.ping round trip", .unit = "ms", .bar = 10};
  const double values[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9, p99, p99 + 1, p99 + 3};
  const double percentiles[] = {0, 10, 25, 50, 75, 90, 95, 99, 99.9, 100};
  for (int i = 0; i < 10; ++i) m.quantiles.push_back({percentiles[i], values[i]});
  m.percentile = 99;
  m.value = p99;
  return m;
}

std::string judged_fill(const std::string& svg) {
  std::smatch m;
  static const std::regex judged(R"re(class="judged"[^>]*fill="(#[0-9a-f]{6})")re");
  return std::regex_search(svg, m, judged) ? m[1].str() : "";
}

TEST(ReportSvg, DistributionMarksTheJudgedPointRedOnlyOverTheBar) {
  const std::string over = svg_measurement(latency(15));
  const std::string under = svg_measurement(latency(2));
  EXPECT_EQ(judged_fill(over), "#d62728");
  EXPECT_EQ(judged_fill(under), "#2ca02c");
  EXPECT_NE(over.find("<polyline"), std::string::npos);
  EXPECT_NE(over.find("misses the bar"), std::string::npos);
  EXPECT_EQ(under.find("misses the bar"), std::string::npos);
  EXPECT_NE(over.find("bar &lt; 10 ms at p99"), std::string::npos);
}

TEST(ReportSvg, SelfContainedAndInsideTheViewBox) {
  const std::string svg = svg_measurement(latency(15));
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
  static const std::regex coord(R"re(\b(cx|cy|x1|x2|y1|y2)="(-?[0-9.]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), coord); it != std::sregex_iterator();
       ++it) {
    const double v = std::stod((*it)[2].str());
    EXPECT_GE(v, 0) << (*it)[0];
    EXPECT_LE(v, 560) << (*it)[0];
  }
}

TEST(ReportSvg, AggregateRateIsABarRedWhenUnder) {
  Measurement rate{
      .name = "requests answered", .unit = "requests/s", .value = 700, .bar = 1000, .below = false};
  EXPECT_EQ(judged_fill(svg_measurement(rate)), "#d62728");
  rate.value = 40000;
  EXPECT_EQ(judged_fill(svg_measurement(rate)), "#2ca02c");
}

}  // namespace
}  // namespace flake::conform
