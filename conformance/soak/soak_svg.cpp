// svg_line_plot: a sampled series as inline SVG, with presentation attributes rather than classes
// so that a plot looks the same wherever the page's style sheet ends up.
#include "conformance/soak/soak_svg.hpp"

#include "conformance/harness/report/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace flake::conform::soak {
namespace {

constexpr double kWidth = 560, kHeight = 250;
constexpr double kLeft = 66, kRight = 16, kTop = 30, kBottom = 46;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Coordinates to a tenth of a pixel keep the markup short.
std::string px(double v) {
  return num(v, 1);
}

// An axis from lo to hi on multiples of a round step (1, 2 or 5 times a power of ten), about
// `ticks` of them, so that tick labels read as plain numbers.
struct Axis {
  double lo = 0, hi = 1, step = 1;
  int decimals = 0;
  int count() const { return static_cast<int>(std::lround((hi - lo) / step)); }
};

Axis nice_axis(double lo, double hi, int ticks, bool integral) {
  Axis a;
  const double raw = (hi - lo) / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / magnitude;
  a.step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * magnitude;
  if (integral) a.step = std::max(a.step, 1.0);
  a.lo = std::floor(lo / a.step + 1e-9) * a.step;
  a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
  if (a.hi <= a.lo) a.hi = a.lo + a.step;
  a.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(a.step) + 1e-9)));
  return a;
}

// The value range to show: the data, widened to min_span around its middle, never below zero
// for data that is not (RSS and descriptor counts start at zero, not below).
std::pair<double, double> value_range(const LinePlot& plot) {
  const auto [lo_it, hi_it] =
      std::minmax_element(plot.points.begin(), plot.points.end(),
                          [](const Sample& a, const Sample& b) { return a.value < b.value; });
  double lo = lo_it->value, hi = hi_it->value;
  const double span = std::max(plot.min_span, plot.integral ? 2.0 : 1e-6 + 0.02 * std::abs(hi));
  if (hi - lo < span) {
    const double mid = (lo + hi) / 2;
    lo = mid - span / 2;
    hi = mid + span / 2;
  }
  if (lo < 0 && lo_it->value >= 0) {
    hi -= lo;
    lo = 0;
  }
  return {lo, hi};
}

std::string text(double x, double y, const std::string& body, const char* anchor,
                 const char* extra = "") {
  return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" text-anchor=\"" + anchor + "\"" + extra +
         ">" + xml_escape(body) + "</text>";
}

std::string line(double x1, double y1, double x2, double y2, const char* style) {
  return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) +
         "\" " + style + "/>";
}

}  // namespace

std::string svg_line_plot(const LinePlot& plot) {
  if (plot.points.size() < 2) {
    return "<p class=\"note\">" + xml_escape(plot.title) + ": too few samples to plot</p>\n";
  }
  const auto [vlo, vhi] = value_range(plot);
  const Axis y = nice_axis(vlo, vhi, 5, plot.integral);
  const double t0 = plot.points.front().t, t1 = std::max(plot.points.back().t, t0 + 1e-3);
  const Axis x = nice_axis(t0, t1, 6, false);
  auto sx = [&](double t) { return kLeft + (t - x.lo) / (x.hi - x.lo) * kPlotW; };
  auto sy = [&](double v) { return kTop + (y.hi - v) / (y.hi - y.lo) * kPlotH; };

  std::string s = "<svg viewBox=\"0 0 " + num(kWidth, 0) + " " + num(kHeight, 0) + "\" width=\"" +
                  num(kWidth, 0) + "\" height=\"" + num(kHeight, 0) +
                  "\" role=\"img\" aria-label=\"" + xml_escape(plot.title) +
                  "\" font-family=\"system-ui,sans-serif\" font-size=\"11\" fill=\"#333\">\n";
  // The judged window first, so that grid and data are drawn over it. It ends with the last
  // sample, which the axis may run past to a round number.
  const double to = sx(plot.points.back().t);
  const double from = std::clamp(sx(plot.judged_from.value_or(plot.points.back().t)), kLeft, to);
  if (plot.judged_from) {
    s += "<rect x=\"" + px(from) + "\" y=\"" + px(kTop) + "\" width=\"" + px(to - from) +
         "\" height=\"" + px(kPlotH) + "\" fill=\"#e6effb\"/>\n";
    s += text(from + 4, kTop + 12, "judged", "start", " fill=\"#5b7bb0\"") + "\n";
  }
  for (int i = 0; i <= y.count(); ++i) {
    const double v = y.lo + i * y.step;
    s += line(kLeft, sy(v), kLeft + kPlotW, sy(v), "stroke=\"#ddd\"");
    s += text(kLeft - 6, sy(v) + 4, num(v, y.decimals), "end") + "\n";
  }
  for (int i = 0; i <= x.count(); ++i) {
    const double t = x.lo + i * x.step;
    s += line(sx(t), kTop + kPlotH, sx(t), kTop + kPlotH + 5, "stroke=\"#666\"");
    s += text(sx(t), kTop + kPlotH + 17, num(t, x.decimals), "middle") + "\n";
  }
  s += line(kLeft, kTop, kLeft, kTop + kPlotH, "stroke=\"#666\"");
  s += line(kLeft, kTop + kPlotH, kLeft + kPlotW, kTop + kPlotH, "stroke=\"#666\"") + "\n";
  if (plot.median) {
    s += line(from, sy(*plot.median), to, sy(*plot.median),
              "stroke=\"#8a5a00\" stroke-dasharray=\"5 4\"");
    s += text(to - 4, sy(*plot.median) - 4, "median", "end", " fill=\"#8a5a00\"") + "\n";
  }
  s += "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.5\" points=\"";
  for (std::size_t i = 0; i < plot.points.size(); ++i) {
    if (i > 0) s += ' ';
    s += px(sx(plot.points[i].t)) + "," + px(sy(plot.points[i].value));
  }
  s += "\"/>\n";
  s += text(kLeft, 16, plot.title, "start", " font-size=\"13\" font-weight=\"600\"") + "\n";
  s += text(kLeft + kPlotW / 2, kHeight - 8, plot.x_label, "middle") + "\n";
  s += text(-(kTop + kPlotH / 2), 16, plot.y_label, "middle", " transform=\"rotate(-90)\"") + "\n";
  return s + "</svg>\n";
}

}  // namespace flake::conform::soak
