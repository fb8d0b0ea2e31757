// judge_trend: least squares over the samples after the warm-up, growth against the limit.
#include "conformance/soak/resource_trend.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace flake::conform::soak {

Trend judge_trend(std::span<const Sample> samples, const TrendLimit& limit) {
  Trend out;
  if (samples.empty()) return out;
  const double start = samples.front().t;
  const double cut = start + (samples.back().t - start) * limit.warmup_fraction;
  std::vector<Sample> window;
  for (const Sample& s : samples) {
    if (s.t >= cut) window.push_back(s);
  }
  if (window.size() < 5) return out;
  out.enough = true;
  std::vector<double> values;
  values.reserve(window.size());
  double mt = 0, mv = 0;
  for (const Sample& s : window) {
    mt += s.t;
    mv += s.value;
    values.push_back(s.value);
  }
  mt /= static_cast<double>(window.size());
  mv /= static_cast<double>(window.size());
  double num = 0, den = 0;
  for (const Sample& s : window) {
    num += (s.t - mt) * (s.value - mv);
    den += (s.t - mt) * (s.t - mt);
  }
  const double slope = den > 0 ? num / den : 0;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2),
                   values.end());
  out.median = values[values.size() / 2];
  out.growth = slope * (window.back().t - window.front().t);
  out.allowed = std::max(limit.relative * out.median, limit.absolute);
  out.flat = out.growth <= out.allowed;
  return out;
}

std::string describe(const Trend& trend, std::string_view what, std::string_view unit) {
  if (!trend.enough) return std::string(what) + ": too few samples to judge";
  char line[256];
  std::snprintf(line, sizeof line, "%.*s %.0f%s%.*s, %+.0f over the judged window (allowed %.0f)%s",
                static_cast<int>(what.size()), what.data(), trend.median, unit.empty() ? "" : " ",
                static_cast<int>(unit.size()), unit.data(), trend.growth, trend.allowed,
                trend.flat ? "" : ": GROWING");
  return line;
}

}  // namespace flake::conform::soak
