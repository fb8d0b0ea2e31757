// Registration functions, one per cases_*.cpp file (grouped by docs/protocol.md section).
#pragma once

#include "conformance/harness/catalog.hpp"

namespace flake::conform {

// Every case of the suite.
Catalog build_catalog();

void add_transport_cases(Catalog& catalog);     // §1 handshake, subprotocol, compression
void add_framing_cases(Catalog& catalog);       // §2.2-2.5, 2.7/3, 2.8
void add_close_cases(Catalog& catalog);         // §2.6, 2.7, 2.9-2.11
void add_jsonrpc_cases(Catalog& catalog);       // §3.1-3.3, 3.5-3.8
void add_batch_cases(Catalog& catalog);         // §3.4, 3.11
void add_auth_cases(Catalog& catalog);          // §4.2, 4.5-4.9
void add_security_cases(Catalog& catalog);      // §4.3, 4.4, §8
void add_method_cases(Catalog& catalog);        // §5
void add_notification_cases(Catalog& catalog);  // §6, §11.2-11.3
void add_resume_cases(Catalog& catalog);        // §7.3-7.5 after test.dropSession
void add_reconnection_cases(Catalog& catalog);  // §7.1-7.4 through a fault proxy, and restarts
void add_keepalive_cases(Catalog& catalog);     // §7.6 pings, §8.5 slow HTTP peers
void add_performance_cases(Catalog& catalog);   // §10
void add_rest_cases(Catalog& catalog);  // §9 and the HTTP side of §1.4, §4.3, §4.4, §4.10
void add_rest_encoding_cases(Catalog& catalog);  // §9.1 chunked bodies, §9.6 gzip
void add_rest_export_cases(Catalog& catalog);    // §9.10 log export
void add_rest_header_cases(Catalog& catalog);    // §9.3 Allow, WWW-Authenticate, Retry-After
void add_large_data_cases(Catalog& catalog);     // §5.12, §6.7-6.10
void add_sse_cases(Catalog& catalog);            // §9.12-9.13, §4.11
void add_sse_stream_cases(Catalog& catalog);  // §9.12 metrics/deployments, §9.14, §4.11 expiry

}  // namespace flake::conform
