// The --html report's performance plots: a measured distribution or value against its bar, drawn
// as inline SVG so that the page stays one self-contained file.
#include "conformance/harness/report/svg.hpp"

#include "conformance/harness/report/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

namespace flake::conform {
namespace {

constexpr double kWidth = 480;  // two side by side on the report page (72em)
constexpr double kLeft = 64;    // room for the value axis' labels
constexpr double kRight = 24;
constexpr const char* kLine = "#1f5fa8";
constexpr const char* kMissed = "#d62728";
constexpr const char* kMet = "#2ca02c";

// About three significant digits, without trailing zeros: axis labels and values alike.
std::string num(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a != 0 && a < 1) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", a >= 100 || a == 0 ? 0 : a >= 10 ? 1 : 2, v);
  }
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// A coordinate for an attribute: one decimal is finer than a pixel.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// The step of about five ticks from 0 to `top`: 1, 2 or 5 times a power of ten.
double tick_step(double top) {
  const double raw = top / 5;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double f : {1.0, 2.0, 5.0}) {
    if (f * power >= raw) return f * power;
  }
  return 10 * power;
}

// The axis' end: a whole number of steps above the largest value and the bar, with headroom.
double axis_top(double largest) {
  if (!(largest > 0)) return 1;
  const double step = tick_step(largest * 1.1);
  return std::ceil(largest * 1.1 / step) * step;
}

std::string text(double x, double y, std::string_view anchor, std::string_view body,
                 std::string_view extra = {}) {
  return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" text-anchor=\"" + std::string(anchor) +
         "\"" + std::string(extra) + ">" + xml_escape(body) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, std::string_view style) {
  return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) +
         "\" " + std::string(style) + "/>\n";
}

std::string open_svg(double height, const std::string& label) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" + px(kWidth) +
         "\" height=\"" + px(height) + "\" viewBox=\"0 0 " + px(kWidth) + " " + px(height) +
         "\" role=\"img\" aria-label=\"" + xml_escape(label) + "\" font-family=\"sans-serif\" " +
         "font-size=\"11\">\n<title>" + xml_escape(label) + "</title>\n";
}

// The bar as people say it: "< 10 ms at p99", "> 1000 requests/s".
std::string bar_text(const Measurement& m) {
  std::string t = std::string(m.below ? "< " : "> ") + num(m.bar) + " " + m.unit;
  if (m.percentile) t += " at p" + num(*m.percentile);
  return t;
}

// The plot's heading: what was measured and the judged value.
std::string heading(const Measurement& m) {
  std::string t = m.name + ": ";
  if (m.percentile) t += "p" + num(*m.percentile) + " ";
  return t + num(m.value) + " " + m.unit;
}

// The whole verdict, for the element's accessible name and tooltip.
std::string caption(const Measurement& m) {
  return heading(m) + " (bar " + bar_text(m) + ")" + (misses_bar(m) ? ", misses the bar" : "");
}

// Percentile to the "nines" axis: 0 at p0, 1 at p90, 2 at p99, 3 at p99.9; the maximum beyond.
constexpr double kMaxNines = 3.5;
double nines(double percentile) {
  if (percentile >= 100) return kMaxNines;
  return std::min(-std::log10(1 - percentile / 100), kMaxNines - 0.2);
}

std::string distribution(const Measurement& m) {
  constexpr double kHeight = 250;
  constexpr double kTop = 34;
  constexpr double kBottom = 40;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  // A logarithmic value axis, from a power of ten at or below the smallest value to one at or
  // above the largest and the bar: sub-millisecond samples and a 100 ms bar share one plot.
  double smallest = m.bar > 0 ? m.bar : 1;
  double largest = std::max(m.bar, m.value);
  for (const Quantile& q : m.quantiles) {
    if (q.value > 0) smallest = std::min(smallest, q.value);
    largest = std::max(largest, q.value);
  }
  const double low = std::floor(std::log10(smallest));
  const double high = std::max(low + 1, std::ceil(std::log10(std::max(largest, smallest))));
  auto x = [&](double p) { return kLeft + nines(p) / kMaxNines * plot_w; };
  auto y = [&](double v) {
    const double e = v > 0 ? std::log10(v) : low;
    return kTop + plot_h - std::clamp((e - low) / (high - low), 0.0, 1.0) * plot_h;
  };

  std::string s = open_svg(kHeight, caption(m));
  s += text(kLeft, 16, "start", heading(m), " font-size=\"13\" font-weight=\"600\"");
  // Value axis: grid lines at 1, 2 and 5 of each decade, labelled while there are few.
  for (double e = low; e <= high; ++e) {
    for (const double f : {1.0, 2.0, 5.0}) {
      const double v = f * std::pow(10.0, e);
      if (v > std::pow(10.0, high) * 1.0001) break;
      s += line(kLeft, y(v), kLeft + plot_w, y(v),
                f == 1 ? "stroke=\"#d0d0d0\"" : "stroke=\"#eee\"");
      if (f == 1 || high - low <= 3) s += text(kLeft - 6, y(v) + 4, "end", num(v));
    }
  }
  s += text(14, kTop + plot_h / 2, "middle", m.unit + " (log scale)",
            " transform=\"rotate(-90 14 " + px(kTop + plot_h / 2) + ")\"");
  // Percentile axis.
  const std::pair<double, const char*> ticks[] = {{0, "min"},  {50, "p50"},     {90, "p90"},
                                                  {99, "p99"}, {99.9, "p99.9"}, {100, "max"}};
  for (const auto& [p, label] : ticks) {
    s += line(x(p), kTop + plot_h, x(p), kTop + plot_h + 4, "stroke=\"#444\"");
    s += text(x(p), kTop + plot_h + 16, "middle", label);
  }
  s += text(kLeft + plot_w / 2, kHeight - 6, "middle", "percentile of the samples");
  s += line(kLeft, kTop, kLeft, kTop + plot_h, "stroke=\"#444\"");
  s += line(kLeft, kTop + plot_h, kLeft + plot_w, kTop + plot_h, "stroke=\"#444\"");
  // The bar, and where it applies.
  const double bar_y = y(m.bar);
  s += line(kLeft, bar_y, kLeft + plot_w, bar_y,
            "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"");
  s += text(kLeft + 6, bar_y - 5, "start", "bar " + bar_text(m), " fill=\"#333\"");
  if (m.percentile) {
    s += line(x(*m.percentile), kTop, x(*m.percentile), kTop + plot_h,
              "stroke=\"#999\" stroke-dasharray=\"2 3\"");
  }
  // The distribution.
  std::string points;
  for (const Quantile& q : m.quantiles) {
    points += (points.empty() ? "" : " ") + px(x(q.percentile)) + "," + px(y(q.value));
  }
  s += "<polyline fill=\"none\" stroke=\"" + std::string(kLine) +
       "\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
  for (const Quantile& q : m.quantiles) {
    s += "<circle cx=\"" + px(x(q.percentile)) + "\" cy=\"" + px(y(q.value)) +
         "\" r=\"2.5\" fill=\"" + kLine + "\"><title>p" + num(q.percentile) + ": " + num(q.value) +
         " " + xml_escape(m.unit) + "</title></circle>\n";
  }
  // The judged point.
  if (m.percentile) {
    const char* colour = misses_bar(m) ? kMissed : kMet;
    s += "<circle class=\"judged\" cx=\"" + px(x(*m.percentile)) + "\" cy=\"" + px(y(m.value)) +
         "\" r=\"6\" fill=\"" + colour + "\" stroke=\"#fff\" stroke-width=\"1.5\"/>\n";
    s += text(x(*m.percentile) - 9, y(m.value) - 8, "end",
              "p" + num(*m.percentile) + " " + num(m.value) + " " + m.unit,
              " fill=\"" + std::string(colour) + "\" font-weight=\"600\"");
  }
  return s + "</svg>\n";
}

std::string single_value(const Measurement& m) {
  constexpr double kHeight = 96;
  constexpr double kTop = 30;
  constexpr double kBarHeight = 24;
  const double plot_w = kWidth - kLeft - kRight;
  const double top = axis_top(std::max(m.bar, m.value));
  auto x = [&](double v) { return kLeft + std::clamp(v / top, 0.0, 1.0) * plot_w; };
  const char* colour = misses_bar(m) ? kMissed : kMet;

  std::string s = open_svg(kHeight, caption(m));
  s += text(kLeft, 16, "start", heading(m), " font-size=\"13\" font-weight=\"600\"");
  s += "<rect class=\"judged\" x=\"" + px(kLeft) + "\" y=\"" + px(kTop) + "\" width=\"" +
       px(x(m.value) - kLeft) + "\" height=\"" + px(kBarHeight) + "\" fill=\"" + colour + "\"/>\n";
  s += line(x(m.bar), kTop - 6, x(m.bar), kTop + kBarHeight + 6,
            "stroke=\"#333\" stroke-width=\"2\" stroke-dasharray=\"4 3\"");
  s += text(x(m.bar) + 4, kTop - 2, "start", "bar " + bar_text(m), " fill=\"#333\"");
  const double axis_y = kTop + kBarHeight + 10;
  s += line(kLeft, axis_y, kLeft + plot_w, axis_y, "stroke=\"#444\"");
  const double step = tick_step(top);
  for (double v = 0; v <= top + step / 2; v += step) {
    s += line(x(v), axis_y, x(v), axis_y + 4, "stroke=\"#444\"");
    s += text(x(v), axis_y + 16, "middle", num(v));
  }
  s += text(kLeft - 6, kTop + kBarHeight / 2 + 4, "end", m.unit);
  return s + "</svg>\n";
}

}  // namespace

std::string svg_measurement(const Measurement& m) {
  return m.quantiles.size() >= 2 ? distribution(m) : single_value(m);
}

}  // namespace flake::conform
