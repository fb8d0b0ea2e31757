// Inline SVG line plots for the soak's HTML report: one sampled series over time, with axes, ticks
// and the judged window of the levelling-off criterion shaded.
#pragma once

#include "conformance/soak/resource_trend.hpp"

#include <optional>
#include <string>
#include <vector>

namespace flake::conform::soak {

struct LinePlot {
  std::string title;                  // "RSS (MiB)", drawn above the plot
  std::string y_label;                // "MiB", drawn along the y axis
  std::string x_label;                // "seconds since the soak started"
  std::vector<Sample> points;         // in the unit shown: the caller scales
  std::optional<double> judged_from;  // where the judged window starts (seconds), if judged
  std::optional<double> median;       // of the judged window, drawn as a dashed line across it
  // The y range spans at least this much, so that noise well within the allowance does not fill
  // the plot's height and look like growth.
  double min_span = 0;
  bool integral = false;  // the values are counts: no fractional ticks
};

// One <svg> element with a single <polyline> for the points; fewer than two points give a short
// note instead (a line needs two).
std::string svg_line_plot(const LinePlot& plot);

}  // namespace flake::conform::soak
