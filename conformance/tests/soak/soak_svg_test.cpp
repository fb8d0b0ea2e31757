// svg_line_plot: every point inside the drawing, a level that stays within the allowance does not
// fill the height, and the ticks fall on round numbers.
#include "conformance/soak/soak_svg.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

namespace flake::conform::soak {
namespace {

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(SoakSvg, PointsStayInsideThePlotAndTicksAreRound) {
  LinePlot plot;
  plot.title = "RSS (MiB)";
  plot.y_label = "MiB";
  plot.x_label = "seconds";
  for (int i = 0; i <= 30; ++i) plot.points.push_back({3.3 + i, 40 + 0.1 * i});
  plot.judged_from = 9.3;
  plot.median = 41.5;
  plot.min_span = 8;
  const std::string svg = svg_line_plot(plot);
  ASSERT_EQ(count(svg, "<polyline"), 1u);
  const std::regex viewbox(R"re(viewBox="0 0 ([0-9]+) ([0-9]+)")re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, viewbox));
  const double width = std::stod(m[1].str()), height = std::stod(m[2].str());
  const auto at = svg.find("points=\"") + 8;
  std::istringstream points(svg.substr(at, svg.find('"', at) - at));
  std::string xy;
  std::size_t n = 0;
  double first_y = 0, last_y = 0;
  while (points >> xy) {
    const double x = std::stod(xy.substr(0, xy.find(',')));
    const double y = std::stod(xy.substr(xy.find(',') + 1));
    EXPECT_GT(x, 0);
    EXPECT_LT(x, width);
    EXPECT_GT(y, 0);
    EXPECT_LT(y, height);
    if (n++ == 0) first_y = y;
    last_y = y;
  }
  EXPECT_EQ(n, plot.points.size());
  // 3 MiB of growth on a range of at least 8 MiB: well under half the height, upwards.
  EXPECT_GT(first_y - last_y, 0);
  EXPECT_LT(first_y - last_y, height / 2);
  // The y ticks are round numbers (the range is widened to min_span around the data).
  EXPECT_NE(svg.find(">40</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">judged</text>"), std::string::npos);
  EXPECT_NE(svg.find(">median</text>"), std::string::npos);
}

TEST(SoakSvg, TooFewPointsGiveANote) {
  LinePlot plot;
  plot.title = "open descriptors";
  plot.points = {{1, 20}};
  const std::string out = svg_line_plot(plot);
  EXPECT_EQ(out.find("<svg"), std::string::npos);
  EXPECT_NE(out.find("too few samples to plot"), std::string::npos);
}

TEST(SoakSvg, ACountNeverGetsFractionalTicks) {
  LinePlot plot;
  plot.title = "open descriptors";
  plot.integral = true;
  for (int i = 0; i < 10; ++i) plot.points.push_back({static_cast<double>(i), 20});
  const std::string svg = svg_line_plot(plot);
  EXPECT_EQ(svg.find(".5</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">20</text>"), std::string::npos) << svg;
  // Nothing was judged, so no window is shaded as judged.
  EXPECT_EQ(svg.find(">judged</text>"), std::string::npos);
}

}  // namespace
}  // namespace flake::conform::soak
