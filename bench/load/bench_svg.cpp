// Hand-written SVG rather than a plotting library: the report must be one self-contained file, and
// a fixed layout with two log axes is a few dozen elements.
#include "bench/load/bench_svg.hpp"

#include "conformance/harness/report/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace flake::bench {
namespace {

// Layout in SVG user units: the plot area, with room for tick labels left and below and for the
// legend on the right.
constexpr double kWidth = 720, kHeight = 380;
constexpr double kLeft = 78, kTop = 34, kPlotW = 470, kPlotH = 280;
constexpr double kLegendX = kLeft + kPlotW + 18;

// Distinguishable without colour too: the second series is dashed.
constexpr const char* kColours[] = {"#1f5fbf", "#c0392b", "#2e8b57", "#8a5a00", "#6a3d9a"};
constexpr const char* kDashes[] = {"", "6 4", "2 3", "8 3 2 3", "1 4"};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// "0", "50", "90", "99", "99.9", "99.99", ...: the percentile at a whole number of nines.
std::string nines_label(int k) {
  if (k <= 0) return "0";
  if (k == 1) return "90";
  std::string s = "99";
  if (k > 2) s += "." + std::string(static_cast<std::size_t>(k - 2), '9');
  return s;
}

std::string latency_label(double micros) {
  char buf[32];
  if (micros >= 1e6) {
    std::snprintf(buf, sizeof buf, "%g s", micros / 1e6);
  } else if (micros >= 1e3) {
    std::snprintf(buf, sizeof buf, "%g ms", micros / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%g \xC2\xB5s", micros);
  }
  return buf;
}

bool drawable(const CurvePoint& p) {
  return p.percentile >= 0 && p.percentile < 100 && p.micros > 0 && std::isfinite(p.micros);
}

std::string text(double x, double y, std::string_view anchor, std::string_view content,
                 std::string_view extra = {}) {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + std::string(anchor) +
         "\"" + std::string(extra) + ">" + conform::xml_escape(content) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, std::string_view style) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
         num(y2) + "\" " + std::string(style) + "/>\n";
}

}  // namespace

double nines(double percentile) {
  return std::log10(100.0 / (100.0 - percentile));
}

double log_position(double value, double lo, double hi, double length) {
  const double v = std::clamp(value, lo, hi);
  return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * length;
}

std::string percentile_svg(std::string_view title, std::span<const Curve> curves) {
  // Axis ranges: whole decades of latency around every drawn point; whole nines, at least p90.
  double y_min = std::numeric_limits<double>::infinity(), y_max = 0, x_max = 1;
  for (const auto& c : curves) {
    for (const auto& p : c.points) {
      if (!drawable(p)) continue;
      y_min = std::min(y_min, p.micros);
      y_max = std::max(y_max, p.micros);
      x_max = std::max(x_max, nines(p.percentile));
    }
  }
  if (y_max == 0) y_min = y_max = 1;  // nothing to draw: an empty frame over 1-10 µs
  const double lo = std::pow(10.0, std::floor(std::log10(y_min)));
  double hi = std::pow(10.0, std::ceil(std::log10(y_max)));
  if (hi <= lo) hi = lo * 10;
  const int whole_nines = static_cast<int>(std::ceil(x_max - 1e-9));
  const double span_x = std::pow(10.0, whole_nines);  // 1/(1-p) at the right edge
  const auto px = [&](double percentile) {
    return kLeft + log_position(100.0 / (100.0 - percentile), 1, span_x, kPlotW);
  };
  const auto py = [&](double micros) {
    return kTop + kPlotH - log_position(micros, lo, hi, kPlotH);
  };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + num(kWidth) + " " +
                    num(kHeight) + "\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
                    "\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + conform::xml_escape(title) + "</title>\n";
  svg += text(kLeft + kPlotW / 2, 20, "middle", title, " font-size=\"14\" font-weight=\"bold\"");
  svg += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(kPlotW) +
         "\" height=\"" + num(kPlotH) + "\" fill=\"none\" stroke=\"#888\"/>\n";

  // Grid and tick labels: one vertical line per nine (and p50), one horizontal per decade.
  std::vector<std::pair<double, std::string>> x_ticks = {{0, "0"}, {50, "50"}};
  for (int k = 1; k <= whole_nines; ++k) {
    x_ticks.emplace_back(100.0 - 100.0 / std::pow(10.0, k), nines_label(k));
  }
  for (const auto& [p, label] : x_ticks) {
    const double x = px(p);
    svg += line(x, kTop, x, kTop + kPlotH, "stroke=\"#ddd\"");
    svg += text(x, kTop + kPlotH + 16, "middle", label);
  }
  for (double d = lo; d <= hi * 1.0001; d *= 10) {
    const double y = py(d);
    svg += line(kLeft, y, kLeft + kPlotW, y, "stroke=\"#ddd\"");
    svg += text(kLeft - 6, y + 4, "end", latency_label(d));
  }
  svg += text(kLeft + kPlotW / 2, kTop + kPlotH + 38, "middle",
              "percentile (log scale of 1/(1-p): 90, 99, 99.9 evenly spaced)");
  const std::string ty = num(kTop + kPlotH / 2);
  svg += text(18, kTop + kPlotH / 2, "middle", "latency (log scale)",
              " transform=\"rotate(-90 18 " + ty + ")\"");

  // One polyline per curve, with its legend entry.
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const char* colour = kColours[i % std::size(kColours)];
    const std::string dash = kDashes[i % std::size(kDashes)];
    const std::string stroke = "stroke=\"" + std::string(colour) + "\" stroke-width=\"2\"" +
                               (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"");
    std::string points;
    for (const auto& p : curves[i].points) {
      if (!drawable(p)) continue;
      if (!points.empty()) points += ' ';
      points += num(px(p.percentile)) + "," + num(py(p.micros));
    }
    svg += "<polyline class=\"curve\" fill=\"none\" " + stroke + " points=\"" + points + "\"/>\n";
    const double ly = kTop + 12 + 20 * static_cast<double>(i);
    svg += line(kLegendX, ly - 4, kLegendX + 26, ly - 4, stroke);
    svg += text(kLegendX + 32, ly, "start", curves[i].name);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace flake::bench
