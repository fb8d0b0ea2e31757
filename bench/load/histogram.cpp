// Log-linear bucket index: values below 2·kSub map to themselves; above, the value shifted right by
// k (its octave above the linear range) lands in [kSub, 2·kSub), and octave k owns indexes
// [(k+1)·kSub, (k+2)·kSub).
#include "bench/load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace flake::bench {
namespace {

constexpr std::size_t kBuckets = (64 - Histogram::kSubBits + 1) * Histogram::kSub;

unsigned octave(std::uint64_t value) {
  const unsigned msb = 63 - static_cast<unsigned>(std::countl_zero(value | 1));
  return msb > Histogram::kSubBits ? msb - Histogram::kSubBits : 0;
}

}  // namespace

Histogram::Histogram() : counts_(kBuckets, 0) {}

std::size_t Histogram::index_of(std::uint64_t value) {
  const unsigned k = octave(value);
  return static_cast<std::size_t>(k) * kSub + static_cast<std::size_t>(value >> k);
}

std::uint64_t Histogram::lowest_of(std::size_t index) {
  if (index < 2 * kSub) return index;
  const unsigned k = static_cast<unsigned>(index / kSub) - 1;
  return (static_cast<std::uint64_t>(index) - std::uint64_t{k} * kSub) << k;
}

std::uint64_t Histogram::highest_of(std::size_t index) {
  if (index < 2 * kSub) return index;
  const unsigned k = static_cast<unsigned>(index / kSub) - 1;
  return lowest_of(index) + ((std::uint64_t{1} << k) - 1);
}

void Histogram::record(std::uint64_t value, std::uint64_t count) {
  if (count == 0) return;
  counts_[index_of(value)] += count;
  if (count_ == 0 || value < min_) min_ = value;
  max_ = std::max(max_, value);
  count_ += count;
  sum_ += static_cast<double>(value) * static_cast<double>(count);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(highest_of(i), min_, max_);
  }
  return max_;
}

}  // namespace flake::bench
