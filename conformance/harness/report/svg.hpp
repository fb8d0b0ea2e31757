// Inline SVG for the --html report: a PERF case's measurement drawn against its bar.
#pragma once

#include "conformance/harness/catalog.hpp"

#include <string>

namespace flake::conform {

// One <svg> element, no scripts and no external references. A distribution is plotted as value (on
// a log axis) against percentile (a "nines" axis: 50, 90, 99, 99.9, max), the bar as a dashed line
// and the judged point at the bar's percentile as a dot, red when it misses the bar. An aggregate
// value (a rate, a peak) is a horizontal bar beside the bar's mark, red when it misses.
std::string svg_measurement(const Measurement& m);

}  // namespace flake::conform
