// The client's configuration: the values of docs/protocol.md §13.2, plus the few bounds the
// library needs. Plain data, filled from the environment by the driver (or by a binding).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace flake::client {

struct ClientConfig {
  std::string url;    // ws://host:port/rpc
  std::string token;  // sent in auth.authenticate
  std::string service_s = "vercel";
  std::string service_t = "supabase";
  std::chrono::milliseconds backoff_base{1000};   // FLAKE_BACKOFF_BASE_MS (§7.7)
  std::chrono::milliseconds breaker_open{30000};  // FLAKE_BREAKER_OPEN_MS (§7.8)
  std::chrono::milliseconds call_timeout{10000};  // FLAKE_CALL_TIMEOUT_MS
  std::chrono::milliseconds call_interval{1000};  // FLAKE_CALL_INTERVAL_MS (§13.3 step 6)
  bool offer_deflate = true;                      // §1.7
  std::string client_version = "0.1.0";           // clientInfo (§4.6)
  std::string client_platform = "linux";
  size_t max_message_bytes = 64u << 20;  // incoming, after inflation
  size_t max_queued_calls = 1024;        // calls waiting to be sent
};

// Reads FLAKE_URL, FLAKE_TOKEN, FLAKE_SERVICES, FLAKE_BACKOFF_BASE_MS, FLAKE_BREAKER_OPEN_MS,
// FLAKE_CALL_TIMEOUT_MS and FLAKE_CALL_INTERVAL_MS over `base`. nullopt with `error` for a value
// that is present but malformed.
std::optional<ClientConfig> config_from_env(ClientConfig base, std::string& error);

}  // namespace flake::client
