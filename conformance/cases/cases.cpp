// The whole suite: every case file's registration, in one catalogue.
#include "conformance/cases/cases.hpp"

namespace flake::conform {

Catalog build_catalog() {
  Catalog catalog;
  add_s1_transport_cases(catalog);
  add_s2_errors_and_closes_cases(catalog);
  add_s2_framing_cases(catalog);
  add_s3_batches_cases(catalog);
  add_s3_jsonrpc_cases(catalog);
  add_s4_authentication_cases(catalog);
  add_s4_http_auth_and_tickets_cases(catalog);
  add_s4_token_host_origin_cases(catalog);
  add_s5_methods_cases(catalog);
  add_s5_subscriptions_and_export_cases(catalog);
  add_s6_notifications_cases(catalog);
  add_s7_keepalive_cases(catalog);
  add_s7_retention_cases(catalog);
  add_s7_resume_cases(catalog);
  add_s8_limits_cases(catalog);
  add_s9_endpoints_cases(catalog);
  add_s9_http_rules_cases(catalog);
  add_s9_sse_cases(catalog);
  add_s10_performance_cases(catalog);
  add_s11_test_contract_cases(catalog);
  add_s14_tls_cases(catalog);
  return catalog;
}

}  // namespace flake::conform
