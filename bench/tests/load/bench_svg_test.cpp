// The SVG plot: the nines and log-axis arithmetic, well-formed escaped markup, one polyline per
// curve drawn in the right direction.
#include "bench/load/bench_svg.hpp"

#include "bench/tests/load/markup_check.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace flake::bench {
namespace {

using testing::count;

// The (x, y) pairs of the n-th polyline.
std::vector<std::pair<double, double>> polyline(const std::string& svg, std::size_t nth) {
  std::size_t at = svg.find("<polyline");
  for (; nth > 0; --nth) at = svg.find("<polyline", at + 1);
  const std::size_t start = svg.find("points=\"", at) + 8;
  const std::string points = svg.substr(start, svg.find('"', start) - start);
  std::vector<std::pair<double, double>> out;
  double x = 0, y = 0;
  int used = 0;
  for (const char* p = points.c_str(); std::sscanf(p, "%lf,%lf%n", &x, &y, &used) == 2;) {
    out.emplace_back(x, y);
    p += used;
  }
  return out;
}

TEST(BenchSvg, NinesSpacesWholeNinesEvenly) {
  EXPECT_DOUBLE_EQ(nines(0), 0);
  EXPECT_NEAR(nines(50), 0.30103, 1e-5);
  EXPECT_NEAR(nines(90), 1, 1e-12);
  EXPECT_NEAR(nines(99), 2, 1e-12);
  EXPECT_NEAR(nines(99.9), 3, 1e-9);
}

TEST(BenchSvg, LogPositionIsMonotonicAndClamped) {
  EXPECT_DOUBLE_EQ(log_position(1, 1, 1000, 300), 0);
  EXPECT_DOUBLE_EQ(log_position(1000, 1, 1000, 300), 300);
  EXPECT_NEAR(log_position(10, 1, 1000, 300), 100, 1e-9);  // one decade of three
  double last = -1;
  for (double v = 1; v <= 1000; v *= 1.07) {
    const double p = log_position(v, 1, 1000, 300);
    EXPECT_GT(p, last) << v;
    last = p;
  }
  EXPECT_DOUBLE_EQ(log_position(0.001, 1, 1000, 300), 0);
  EXPECT_DOUBLE_EQ(log_position(1e9, 1, 1000, 300), 300);
}

std::vector<Curve> two_curves() {
  Curve sidecar{"sidecar", {}}, floor{"floor", {}};
  for (const double p : {0.0, 50.0, 90.0, 99.0, 99.9}) {
    sidecar.points.push_back({p, 20 + p * p / 10});
    floor.points.push_back({p, 15 + p});
  }
  return {sidecar, floor};
}

TEST(BenchSvg, WellFormedWithOnePolylinePerCurveAndTextLabels) {
  const auto curves = two_curves();
  const std::string svg = percentile_svg("system.ping, window 1", curves);
  EXPECT_EQ(testing::markup_problem(svg), "") << svg;
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_EQ(count(svg, ">sidecar</text>"), 1u);  // the legend, in text
  EXPECT_EQ(count(svg, ">floor</text>"), 1u);
  for (const char* tick : {">50</text>", ">90</text>", ">99</text>", ">99.9</text>"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  EXPECT_NE(svg.find("percentile (log scale"), std::string::npos);
  EXPECT_NE(svg.find("latency (log scale)"), std::string::npos);
  EXPECT_NE(svg.find(">10 \xC2\xB5s</text>"), std::string::npos);
}

TEST(BenchSvg, CurvesRunRightwardAndUpward) {
  const auto curves = two_curves();
  const std::string svg = percentile_svg("t", curves);
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const auto pts = polyline(svg, i);
    ASSERT_EQ(pts.size(), curves[i].points.size());
    for (std::size_t k = 1; k < pts.size(); ++k) {
      EXPECT_GT(pts[k].first, pts[k - 1].first);    // higher percentile: further right
      EXPECT_LT(pts[k].second, pts[k - 1].second);  // higher latency: further up
    }
  }
}

TEST(BenchSvg, EscapesEveryText) {
  std::vector<Curve> curves = {{"<script>alert(1)</script> & \"x\"", {{50, 10}, {90, 20}}}};
  const std::string svg = percentile_svg("a < b & c > d", curves);
  EXPECT_EQ(testing::markup_problem(svg), "") << svg;
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"),
            std::string::npos);
  EXPECT_NE(svg.find("a &lt; b &amp; c &gt; d"), std::string::npos);
}

TEST(BenchSvg, UndrawablePointsAndEmptyCurvesAreSafe) {
  std::vector<Curve> curves = {{"empty", {}}, {"odd", {{100, 5}, {50, 0}, {50, -1}, {90, 8}}}};
  const std::string svg = percentile_svg("t", curves);
  EXPECT_EQ(testing::markup_problem(svg), "") << svg;
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_EQ(polyline(svg, 0).size(), 0u);
  EXPECT_EQ(polyline(svg, 1).size(), 1u);  // p100 has no place on a nines axis; 0 none on a log one
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

}  // namespace
}  // namespace flake::bench
