// The client case catalogue (docs/protocol.md §13): one registration function per case file,
// files named for the spec section of their rules (cNN_topic.cpp), each case declared above its
// code with the bullet it checks.
#pragma once

#include "conformance/client_cases/client_context.hpp"
#include "conformance/harness/catalog.hpp"

namespace flake::conform::client {

// Every client case; `setup` (driver command, token, timeout) must outlive the catalogue.
Catalog build_client_catalog(const ClientSetup& setup);

void add_c1_compression_cases(Catalog& c, const ClientSetup& setup);     // c01_compression.cpp
void add_c2_framing_cases(Catalog& c, const ClientSetup& setup);         // c02_framing.cpp
void add_c3_jsonrpc_cases(Catalog& c, const ClientSetup& setup);         // c03_jsonrpc.cpp
void add_c4_authentication_cases(Catalog& c, const ClientSetup& setup);  // c04_authentication.cpp
void add_c6_notifications_cases(Catalog& c, const ClientSetup& setup);   // c06_notifications.cpp
void add_c6_large_data_cases(Catalog& c, const ClientSetup& setup);      // c06_large_data.cpp
void add_c7_resume_cases(Catalog& c, const ClientSetup& setup);          // c07_resume.cpp
void add_c7_reconnection_cases(Catalog& c, const ClientSetup& setup);    // c07_reconnection.cpp
void add_c7_breaker_cases(Catalog& c, const ClientSetup& setup);         // c07_breaker.cpp
void add_c8_limits_cases(Catalog& c, const ClientSetup& setup);          // c08_limits.cpp

}  // namespace flake::conform::client
