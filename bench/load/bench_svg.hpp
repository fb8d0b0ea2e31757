// Inline SVG for flake-bench's HTML report: latency percentile curves on log axes, the x axis in
// "nines" (log10 of 1/(1-p)), so that p50, p90, p99, p99.9 are evenly spaced.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flake::bench {

// A percentile (0 <= p < 100) as nines: log10(1 / (1 - p/100)); p50 is 0.30, p90 1, p99 2.
double nines(double percentile);

// Maps `value` on a log10 axis from [lo, hi] (both > 0, lo < hi) onto [0, length] pixels.
// Values outside the range are clamped, so a curve never leaves its frame.
double log_position(double value, double lo, double hi, double length);

struct CurvePoint {
  double percentile = 0;  // 0 <= p < 100
  double micros = 0;      // latency at that percentile, > 0 to be drawn
};

struct Curve {
  std::string name;  // the legend's text
  std::vector<CurvePoint> points;
};

// One <svg> element: every curve as a polyline over the percentile (nines) and latency (log10 µs)
// axes, with tick labels, axis titles and a legend in text. Every text is escaped.
std::string percentile_svg(std::string_view title, std::span<const Curve> curves);

}  // namespace flake::bench
