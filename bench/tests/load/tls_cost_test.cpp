// The TLS cost table: rows taken from passes, medians and ratios, the JSON object and the HTML.
#include "bench/load/tls_cost.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flake::bench {
namespace {

// One pass: connects of `connect_ms`, window-1 pings of `ping_us`, and two rates.
BenchResults pass(double connect_ms, double ping_us, double w64, double cpu_s_per_1k) {
  BenchResults r;
  for (int i = 0; i < 100; ++i) {
    r.latency_sidecar["connect_auth"].record(static_cast<std::uint64_t>(connect_ms * 1e6));
    r.latency_sidecar["ping_w1"].record(static_cast<std::uint64_t>(ping_us * 1e3));
  }
  r.add(Side::Sidecar, "ping_w64_per_s", "w64", "req/s", true, w64);
  r.add(Side::Sidecar, "cpu_s_per_1k_msgs", "cpu", "CPU s", false, cpu_s_per_1k);
  return r;
}

const TlsCostRow* row(const TlsCost& c, const std::string& key) {
  for (const TlsCostRow& r : c.rows) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

TEST(TlsCost, RowsFromPassesWithRatios) {
  TlsCost cost;
  cost.add_pass(pass(0.4, 40, 200000, 0.002), false);
  cost.add_pass(pass(8.0, 80, 100000, 0.003), true);
  cost.add_pass(pass(0.5, 50, 300000, 0.002), false);
  cost.add_pass(pass(6.0, 90, 120000, 0.003), true);
  // Only what the passes measured, in the table's order.
  ASSERT_EQ(cost.rows.size(), 6u);
  EXPECT_EQ(cost.rows.front().key, "connect_auth_p50_ms");
  EXPECT_EQ(cost.rows.back().key, "cpu_ms_per_1k_pings");
  EXPECT_EQ(row(cost, "getlarge_mb_per_s"), nullptr);
  const TlsCostRow* w64 = row(cost, "ping_w64_per_s");
  ASSERT_NE(w64, nullptr);
  EXPECT_EQ(w64->plain.size(), 2u);
  EXPECT_EQ(w64->tls.size(), 2u);
  const TlsCostRow* connect = row(cost, "connect_auth_p50_ms");
  ASSERT_NE(connect, nullptr);
  EXPECT_NEAR(connect->plain[0], 0.4, 0.01);  // histogram buckets are within 0.8 %
  EXPECT_NEAR(connect->tls[0], 8.0, 0.1);

  const nlohmann::json j = tls_cost_json(cost);
  ASSERT_TRUE(j["rows"].is_array());
  for (const auto& r : j["rows"]) {
    if (r["key"] == "ping_w64_per_s") {
      EXPECT_DOUBLE_EQ(r["ratio"].get<double>(), 110000.0 / 250000.0);
      EXPECT_EQ(r["tls_samples"].size(), 2u);
    }
    if (r["key"] == "cpu_ms_per_1k_pings") {
      EXPECT_NEAR(r["plain"].get<double>(), 2.0, 1e-9);
    }
  }
}

TEST(TlsCost, HtmlTableOnlyWithRows) {
  EXPECT_EQ(tls_cost_html(nlohmann::json()), "");
  TlsCost cost;
  cost.order = "plain then <TLS>";
  cost.add_pass(pass(0.4, 40, 200000, 0.002), false);
  cost.add_pass(pass(8.0, 80, 100000, 0.003), true);
  const std::string html = tls_cost_html(tls_cost_json(cost));
  EXPECT_NE(html.find("<h2>TLS cost</h2>"), std::string::npos);
  EXPECT_NE(html.find("plain then &lt;TLS&gt;"), std::string::npos);
  EXPECT_NE(html.find("0.50"), std::string::npos);  // the window-64 ratio
}

}  // namespace
}  // namespace flake::bench
