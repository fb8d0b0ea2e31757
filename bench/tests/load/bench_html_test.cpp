// The HTML report: self-contained and well-formed, everything escaped, one plot per latency run
// with a curve per side measured, the figures table with ratios; and the percentile points the
// JSON carries for it.
#include "bench/load/bench_html.hpp"

#include "bench/load/bench_report.hpp"
#include "bench/tests/load/markup_check.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flake::bench {
namespace {

using testing::count;

BenchResults sample_run() {
  BenchResults r;
  r.target = "reference/flake-sidecar --port 0 <b>&amp;";
  r.notes = "rate limiter \"off\" & <everything> else";
  r.options = {{"quick", true}, {"open_rate", 10000}};
  r.add(Side::Sidecar, "ping_w1_p50_us", "system.ping window 1: p50", "us", false, 30);
  r.add(Side::Floor, "ping_w1_p50_us", "system.ping window 1: p50", "us", false, 20);
  r.add(Side::Sidecar, "rss_idle_mib", "RSS <idle>", "MiB", false, 8);
  for (std::uint64_t i = 1; i <= 5000; ++i) {
    r.latency_sidecar["ping_w1"].record(20'000 + i * 10);
    r.latency_floor["ping_w1"].record(15'000 + i * 5);
    r.latency_sidecar["connect_auth"].record(150'000 + i);
  }
  r.errors.push_back("floor <open loop>: timed out");
  evaluate_targets(r);
  return r;
}

TEST(BenchHtml, SelfContainedWellFormedPage) {
  const std::string html = report_html(report_json(sample_run()));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(testing::markup_problem(html), "");
  for (const char* external : {"<script", "<link", "<img", "src=", "href=", "url(", "@import"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
}

TEST(BenchHtml, OnePlotPerLatencyRunAndOneCurvePerSide) {
  const std::string html = report_html(report_json(sample_run()));
  EXPECT_EQ(count(html, "<svg"), 2u);       // ping_w1 and connect_auth
  EXPECT_EQ(count(html, "<polyline"), 3u);  // ping_w1: sidecar and floor; connect_auth: sidecar
  EXPECT_NE(html.find("system.ping, 1 connection x window 1"), std::string::npos);
  EXPECT_NE(html.find("connect + WebSocket upgrade + auth"), std::string::npos);
}

TEST(BenchHtml, FiguresTableWithRatiosAndEscapedText) {
  const std::string html = report_html(report_json(sample_run()));
  EXPECT_NE(html.find("<td class=\"n\">1.5</td>"), std::string::npos);  // 30 / 20
  EXPECT_NE(html.find("RSS &lt;idle&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;amp;"), std::string::npos);
  EXPECT_NE(html.find("rate limiter &quot;off&quot; &amp; &lt;everything&gt; else"),
            std::string::npos);
  EXPECT_NE(html.find("floor &lt;open loop&gt;: timed out"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<everything>"), std::string::npos);
}

TEST(BenchHtml, ToleratesFieldsOfUnexpectedTypes) {
  const nlohmann::json odd = {{"schema", "flake-bench/1"},
                              {"target", 42},
                              {"figures", {{"x", {{"label", 1}, {"sidecar", "fast"}}}}},
                              {"latency", {{"ping_w1", {{"sidecar", {{"percentiles", "no"}}}}}}},
                              {"targets", "none"}};
  const std::string html = report_html(odd);
  EXPECT_EQ(testing::markup_problem(html), "");
  EXPECT_EQ(count(html, "<polyline"), 1u);
}

TEST(PercentilePoints, MonotonicThroughTheNamedPercentiles) {
  Histogram h;
  for (std::uint64_t i = 1; i <= 10'000; ++i) h.record(i * 1000);
  const auto points = percentile_points(h);
  ASSERT_FALSE(points.empty());
  bool p50 = false, p90 = false, p99 = false, p999 = false;
  for (std::size_t i = 0; i < points.size(); ++i) {
    p50 |= points[i].percentile == 50;
    p90 |= points[i].percentile == 90;
    p99 |= points[i].percentile == 99;
    p999 |= points[i].percentile == 99.9;
    if (i == 0) continue;
    EXPECT_GT(points[i].percentile, points[i - 1].percentile);
    EXPECT_GE(points[i].micros, points[i - 1].micros);
  }
  EXPECT_TRUE(p50 && p90 && p99 && p999);
  EXPECT_LE(points.back().percentile, 99.99);  // 10,000 samples: four nines at most
  EXPECT_NEAR(points.back().micros, 10'000, 10'000 / 128.0);
  EXPECT_TRUE(percentile_points(Histogram{}).empty());
  // Six nines of samples: the tenths of a nine stay apart near the top.
  Histogram many;
  many.record(1000, 2'000'000);
  const auto top = percentile_points(many);
  EXPECT_EQ(top.size(), 65u);  // 0 to 6.3 nines in tenths (64), and p50
  EXPECT_LT(top.back().percentile, 100);
}

TEST(PercentilePoints, JsonCarriesThem) {
  const nlohmann::json j = report_json(sample_run());
  const auto& curve = j["latency"]["ping_w1"]["floor"]["percentiles"];
  ASSERT_TRUE(curve.is_array());
  ASSERT_GT(curve.size(), 10u);
  EXPECT_TRUE(curve[0].contains("p"));
  EXPECT_TRUE(curve[0].contains("us"));
}

}  // namespace
}  // namespace flake::bench
