// build_client_catalog(): gathers the client case files.
#include "conformance/client_cases/client_cases.hpp"

namespace flake::conform::client {

Catalog build_client_catalog(const ClientSetup& setup) {
  Catalog c;
  add_c1_compression_cases(c, setup);
  add_c2_framing_cases(c, setup);
  add_c3_jsonrpc_cases(c, setup);
  add_c4_authentication_cases(c, setup);
  add_c6_notifications_cases(c, setup);
  add_c6_large_data_cases(c, setup);
  add_c7_resume_cases(c, setup);
  add_c7_reconnection_cases(c, setup);
  add_c7_breaker_cases(c, setup);
  add_c8_limits_cases(c, setup);
  return c;
}

}  // namespace flake::conform::client
