// One registration function per case file; files are named for the spec section they cover
// (NN_topic.cpp) and each case is declared above its code (see README.md, "Adding a case").
#pragma once

#include "conformance/harness/catalog.hpp"

namespace flake::conform {

// Every case of the suite.
Catalog build_catalog();

void add_s1_transport_cases(Catalog& c);                 // 01_transport.cpp
void add_s2_errors_and_closes_cases(Catalog& c);         // 02_errors_and_closes.cpp
void add_s2_framing_cases(Catalog& c);                   // 02_framing.cpp
void add_s3_batches_cases(Catalog& c);                   // 03_batches.cpp
void add_s3_jsonrpc_cases(Catalog& c);                   // 03_jsonrpc.cpp
void add_s4_authentication_cases(Catalog& c);            // 04_authentication.cpp
void add_s4_http_auth_and_tickets_cases(Catalog& c);     // 04_http_auth_and_tickets.cpp
void add_s4_token_host_origin_cases(Catalog& c);         // 04_token_host_origin.cpp
void add_s5_methods_cases(Catalog& c);                   // 05_methods.cpp
void add_s5_subscriptions_and_export_cases(Catalog& c);  // 05_subscriptions_and_export.cpp
void add_s6_notifications_cases(Catalog& c);             // 06_notifications.cpp
void add_s7_keepalive_cases(Catalog& c);                 // 07_keepalive.cpp
void add_s7_retention_cases(Catalog& c);                 // 07_retention.cpp
void add_s7_resume_cases(Catalog& c);                    // 07_resume.cpp
void add_s8_limits_cases(Catalog& c);                    // 08_limits.cpp
void add_s9_endpoints_cases(Catalog& c);                 // 09_endpoints.cpp
void add_s9_http_rules_cases(Catalog& c);                // 09_http_rules.cpp
void add_s9_sse_cases(Catalog& c);                       // 09_sse.cpp
void add_s10_performance_cases(Catalog& c);              // 10_performance.cpp
void add_s11_test_contract_cases(Catalog& c);            // 11_test_contract.cpp
void add_s14_tls_cases(Catalog& c);                      // 14_tls.cpp

}  // namespace flake::conform
