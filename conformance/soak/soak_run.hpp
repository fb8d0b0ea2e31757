// One soak: the clients and their fault proxies, the fault and restart schedule, the resource
// sampler, and the judgement at the end.
#pragma once

#include "conformance/client/sidecar_process.hpp"
#include "conformance/client/url.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"
#include "conformance/soak/soak_options.hpp"
#include "conformance/soak/soak_report.hpp"

#include <memory>
#include <optional>
#include <string>

namespace flake::conform::soak {

// The sidecar under test. With `process` set the soak samples its resources and may restart it
// with `command` (a picked port already replaced by the one it reported).
struct SoakTarget {
  Url url;
  std::string token;
  std::unique_ptr<SidecarProcess> process;
  std::optional<SidecarCommand> command;
  std::string description;
};

SoakReport run_soak(const SoakOptions& options, SoakTarget& target);

}  // namespace flake::conform::soak
