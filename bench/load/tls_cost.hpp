// The "TLS cost" of flake-bench --tls: the TLS-relevant figures of a plain and a TLS start of the
// same sidecar, one sample per repeat each, side by side with the TLS/plain ratio; as a text
// table, as the report's "tls" object and as an HTML table.
#pragma once

#include "bench/load/bench_report.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace flake::bench {

struct TlsCostRow {
  std::string key;
  std::string label;
  std::string unit;
  bool higher_better = false;
  std::vector<double> plain;  // one sample per repeat
  std::vector<double> tls;
};

struct TlsCost {
  std::vector<TlsCostRow> rows;
  std::string order;       // how the two starts were made, for the reader
  std::string negotiated;  // "TLSv1.3 TLS_AES_256_GCM_SHA384", from the TLS pass
  // Takes the TLS-relevant figures of one pass (a BenchResults holding that pass alone).
  void add_pass(const BenchResults& pass, bool over_tls);
  bool empty() const { return rows.empty(); }
};

void print_tls_cost(const TlsCost& cost, std::FILE* out);
// {"order", "negotiated", "rows": [{key, label, unit, higher_is_better, plain, tls (medians),
// plain_samples, tls_samples, ratio}]}; ratio is TLS / plain of the medians.
nlohmann::json tls_cost_json(const TlsCost& cost);
// The report's "tls" object as an HTML section; empty when there is none.
std::string tls_cost_html(const nlohmann::json& tls);

}  // namespace flake::bench
