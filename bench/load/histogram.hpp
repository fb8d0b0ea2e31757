// Log-linear latency histogram in the style of HdrHistogram (not packaged in Debian): exact below
// 256, then 128 sub-buckets per power of two, so every recorded value is kept within 1/128.
#pragma once

#include <cstdint>
#include <vector>

namespace flake::bench {

class Histogram {
 public:
  static constexpr unsigned kSubBits = 7;
  static constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;  // sub-buckets per octave

  Histogram();

  void record(std::uint64_t value, std::uint64_t count = 1);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  // The value at percentile p (0..100): the highest value equivalent to the bucket holding the
  // ceil(p% × count)-th smallest sample, clipped to [min, max]. 0 when empty.
  std::uint64_t percentile(double p) const;

  // Bucket arithmetic, public for the tests.
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t lowest_of(std::size_t index);
  static std::uint64_t highest_of(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace flake::bench
