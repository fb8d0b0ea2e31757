// The whole suite: every cases file's registration, in one catalogue.
#include "conformance/cases/cases.hpp"

namespace flake::conform {

Catalog build_catalog() {
  Catalog catalog;
  add_transport_cases(catalog);
  add_framing_cases(catalog);
  add_close_cases(catalog);
  add_jsonrpc_cases(catalog);
  add_batch_cases(catalog);
  add_auth_cases(catalog);
  add_security_cases(catalog);
  add_method_cases(catalog);
  add_notification_cases(catalog);
  add_resume_cases(catalog);
  add_reconnection_cases(catalog);
  add_keepalive_cases(catalog);
  add_performance_cases(catalog);
  add_rest_cases(catalog);
  add_large_data_cases(catalog);
  add_sse_cases(catalog);
  add_rest_encoding_cases(catalog);
  add_rest_export_cases(catalog);
  add_rest_header_cases(catalog);
  add_sse_stream_cases(catalog);
  return catalog;
}

}  // namespace flake::conform
