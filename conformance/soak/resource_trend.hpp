// Whether a sidecar's memory or descriptor count levels off over a soak: a least-squares line
// through the samples after a warm-up, and the growth it projects over the measured window.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace flake::conform::soak {

struct Sample {
  double t = 0;      // seconds since the soak started
  double value = 0;  // RSS in KiB, or open descriptors
};

// The criterion, stated once: samples in the first `warmup_fraction` of the run are left out
// (caches, pools and the history filling up); through the rest a least-squares line is fitted;
// the level is flat when slope x (length of that window) <= max(relative x median of the window,
// absolute). RSS: 5 % and 2 MiB; descriptors: 0 % and the number of clients (one connection each
// may be open at any moment).
struct TrendLimit {
  double warmup_fraction = 0.2;
  double relative = 0.05;
  double absolute = 2048;  // in the unit of the samples
};

struct Trend {
  bool flat = true;
  bool enough = false;  // at least 5 samples after the warm-up; with fewer nothing is judged
  double median = 0;    // of the judged window
  double growth = 0;    // slope x window length, in the unit of the samples
  double allowed = 0;   // what the limit permits
};

Trend judge_trend(std::span<const Sample> samples, const TrendLimit& limit);
// One line for reports: "<what> <median> <unit>, <+growth> over <window> s (allowed <allowed>)".
std::string describe(const Trend& trend, std::string_view what, std::string_view unit);

}  // namespace flake::conform::soak
