// Latency rows read the pass's merged histograms (one pass: one repeat), so p99 is of that
// repeat's samples; rates read the pass's figures. The table shows the median over repeats with
// the range beside it: on a shared machine the spread says how far a ratio can be trusted.
#include "bench/load/tls_cost.hpp"

#include "conformance/harness/report/text.hpp"

#include <algorithm>

namespace flake::bench {
namespace {

struct RowSpec {
  const char* key;
  const char* label;
  const char* unit;
  bool higher_better;
};

constexpr RowSpec kRows[] = {
    {"connect_auth_p50_ms", "connect + upgrade + auth.authenticate: p50", "ms", false},
    {"connect_auth_p99_ms", "connect + upgrade + auth.authenticate: p99", "ms", false},
    {"ping_w1_p50_us", "system.ping window 1: p50", "us", false},
    {"ping_w1_p99_us", "system.ping window 1: p99", "us", false},
    {"ping_w64_per_s", "system.ping 1 conn x window 64: throughput", "req/s", true},
    {"getlarge_mb_per_s", "logs.getLarge msgpack (payload MB/s)", "MB/s", true},
    {"cpu_ms_per_1k_pings", "sidecar CPU per 1,000 pings (window 64)", "CPU ms", false},
};

std::optional<double> percentile_of(const BenchResults& pass, const char* run, double p,
                                    double divisor) {
  const auto it = pass.latency_sidecar.find(run);
  if (it == pass.latency_sidecar.end() || it->second.count() == 0) return std::nullopt;
  return static_cast<double>(it->second.percentile(p)) / divisor;
}

std::optional<double> figure_of(const BenchResults& pass, const std::string& key) {
  if (key == "connect_auth_p50_ms") return percentile_of(pass, "connect_auth", 50, 1e6);
  if (key == "connect_auth_p99_ms") return percentile_of(pass, "connect_auth", 99, 1e6);
  if (key == "ping_w1_p50_us") return percentile_of(pass, "ping_w1", 50, 1e3);
  if (key == "ping_w1_p99_us") return percentile_of(pass, "ping_w1", 99, 1e3);
  if (key == "cpu_ms_per_1k_pings") {
    const auto s = pass.value("cpu_s_per_1k_msgs", Side::Sidecar);
    return s ? std::optional<double>(*s * 1000) : std::nullopt;
  }
  return pass.value(key, Side::Sidecar);
}

std::optional<double> ratio(const TlsCostRow& row) {
  const auto p = median(row.plain);
  const auto t = median(row.tls);
  if (!p || !t || *p <= 0) return std::nullopt;
  return *t / *p;
}

std::string ratio_text(std::optional<double> r) {
  if (!r) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *r);
  return buf;
}

// "45.6 (44.1-47.0)": the median and, with more than one sample, the range.
std::string spread_text(const std::vector<double>& samples) {
  std::string s = format_value(median(samples));
  if (samples.size() > 1) {
    const auto [lo, hi] = std::minmax_element(samples.begin(), samples.end());
    s += " (" + format_value(*lo) + "-" + format_value(*hi) + ")";
  }
  return s;
}

std::optional<double> json_number(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string json_text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void TlsCost::add_pass(const BenchResults& pass, bool over_tls) {
  for (const RowSpec& spec : kRows) {
    const auto v = figure_of(pass, spec.key);
    if (!v) continue;
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const TlsCostRow& r) { return r.key == spec.key; });
    if (it == rows.end()) {
      // Rows keep kRows' order whatever the first pass measured.
      const auto rank = [](const std::string& key) {
        for (std::size_t i = 0; i < std::size(kRows); ++i) {
          if (key == kRows[i].key) return i;
        }
        return std::size(kRows);
      };
      it = std::find_if(rows.begin(), rows.end(),
                        [&](const TlsCostRow& r) { return rank(r.key) > rank(spec.key); });
      it = rows.insert(it, {spec.key, spec.label, spec.unit, spec.higher_better, {}, {}});
    }
    (over_tls ? it->tls : it->plain).push_back(*v);
  }
}

void print_tls_cost(const TlsCost& cost, std::FILE* out) {
  if (cost.empty()) return;
  std::fprintf(out, "\nTLS cost (%s)\n", cost.order.c_str());
  if (!cost.negotiated.empty()) std::fprintf(out, "negotiated: %s\n", cost.negotiated.c_str());
  std::fprintf(out, "%-44s %-26s %-26s %-9s %s\n", "figure", "plain", "TLS", "TLS/plain", "unit");
  for (const TlsCostRow& row : cost.rows) {
    std::fprintf(out, "%-44s %-26s %-26s %-9s %s\n", row.label.c_str(),
                 spread_text(row.plain).c_str(), spread_text(row.tls).c_str(),
                 ratio_text(ratio(row)).c_str(), row.unit.c_str());
  }
}

nlohmann::json tls_cost_json(const TlsCost& cost) {
  nlohmann::json rows = nlohmann::json::array();
  const auto or_null = [](std::optional<double> v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  for (const TlsCostRow& row : cost.rows) {
    rows.push_back({{"key", row.key},
                    {"label", row.label},
                    {"unit", row.unit},
                    {"higher_is_better", row.higher_better},
                    {"plain", or_null(median(row.plain))},
                    {"tls", or_null(median(row.tls))},
                    {"plain_samples", row.plain},
                    {"tls_samples", row.tls},
                    {"ratio", or_null(ratio(row))}});
  }
  return {{"order", cost.order}, {"negotiated", cost.negotiated}, {"rows", rows}};
}

std::string tls_cost_html(const nlohmann::json& tls) {
  if (!tls.is_object()) return {};
  const auto rows = tls.find("rows");
  if (rows == tls.end() || !rows->is_array()) return {};
  const auto esc = [](std::string_view s) { return conform::xml_escape(s); };
  std::string t = "<h2>TLS cost</h2>\n<p class=\"meta\">" + esc(json_text(tls, "order"));
  if (!json_text(tls, "negotiated").empty()) {
    t += "; negotiated " + esc(json_text(tls, "negotiated"));
  }
  t += ". Medians over the repeats; the ratio is TLS / plain.</p>\n<table>\n<tr><th>Figure</th>"
       "<th>Plain</th><th>TLS</th><th>TLS / plain</th><th>Unit</th></tr>\n";
  for (const auto& row : *rows) {
    if (!row.is_object()) continue;
    t += "<tr><td>" + esc(json_text(row, "label")) + "</td><td class=\"n\">" +
         esc(format_value(json_number(row, "plain"))) + "</td><td class=\"n\">" +
         esc(format_value(json_number(row, "tls"))) + "</td><td class=\"n\">" +
         esc(ratio_text(json_number(row, "ratio"))) + "</td><td>" + esc(json_text(row, "unit")) +
         "</td></tr>\n";
  }
  return t + "</table>\n";
}

}  // namespace flake::bench
