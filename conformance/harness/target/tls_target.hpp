// TLS for the target of a run (docs/protocol.md §14.4): the trust of a wss:// URL the suite
// attaches to, or a throwaway chain for a sidecar it starts; both become the process-wide
// target_tls() that every connection uses.
#pragma once

#include "conformance/client/tls_certs.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"

#include <memory>
#include <optional>
#include <string>

namespace flake::conform {

// --tls-ca FILE or --tls-fingerprint HEX (at most one): TLS trusting that; neither: plain text.
// False with `error` when the CA file cannot be read or the fingerprint is malformed.
bool trust_url_target(const std::optional<std::string>& ca_file,
                      const std::optional<std::string>& fingerprint, std::string& error);

// --tls with --reference or --spawn: a throwaway CA -> intermediate -> leaf, the launcher passing
// the chain and key to every start, and only that CA trusted. The directory holding them goes away
// with the result (keep it alive as long as the sidecar runs). Nullptr with `error` on failure.
std::unique_ptr<ThrowawayPki> serve_throwaway_tls(SidecarLauncher& launcher, std::string& error);

}  // namespace flake::conform
