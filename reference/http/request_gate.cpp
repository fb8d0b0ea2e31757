// Request admission checks shared by the WebSocket and HTTP paths (see request_gate.hpp).
#include "reference/http/request_gate.hpp"

#include <algorithm>

#include "reference/defects/seams.hpp"

namespace flake {

std::optional<std::string> header(lws* wsi, lws_token_indexes token) {
  const int length = lws_hdr_total_length(wsi, token);
  if (length <= 0) return std::nullopt;
  std::string value(static_cast<size_t>(length) + 1, '\0');
  // A value lws cannot copy is treated as present but unusable, so allowlists refuse it.
  if (lws_hdr_copy(wsi, value.data(), length + 1, token) < 0) return std::string("\x01");
  value.resize(static_cast<size_t>(length));
  return value;
}

int header_count(lws* wsi, lws_token_indexes token) {
  int count = 0;
  while (lws_hdr_fragment_length(wsi, token, count) > 0) ++count;
  return count;
}

namespace {

bool has_upper(const std::optional<std::string>& value) {
  return value &&
         std::any_of(value->begin(), value->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

GateInput gate_input(lws* wsi) {
  return GateInput{header_count(wsi, WSI_TOKEN_HOST), header(wsi, WSI_TOKEN_HOST),
                   header(wsi, WSI_TOKEN_ORIGIN), header(wsi, WSI_TOKEN_UPGRADE).has_value()};
}

GateVerdict check_gate(const GateInput& request, const ServerState& server) {
  if (request.host_count > 1 && !server.has(Defect::kDuplicateHost))
    return GateVerdict::kDuplicateHost;
  // Defects: the allowlists hold lower case, so a case-sensitive comparison refuses upper case.
  // origin-required refuses plain HTTP requests only: WebSocket clients without an Origin (the
  // suite's own connections) must still get in for the suite to run at all.
  if ((server.has(Defect::kHostCaseSensitive) && has_upper(request.host)) ||
      (server.has(Defect::kOriginCaseSensitive) && has_upper(request.origin)) ||
      (server.has(Defect::kOriginRequired) && !request.origin && !request.upgrade)) {
    return GateVerdict::kForbidden;
  }
  AccessVerdict verdict = check_access(server.access, request.host, request.origin);
  if (verdict == AccessVerdict::kBadHost &&
      (server.has(Defect::kAcceptAnyHost) || seam::host_check_skipped(server))) {
    verdict = check_access(server.access, "127.0.0.1:" + std::to_string(server.access.port),
                           request.origin);
  }
  if (verdict == AccessVerdict::kBadOrigin && server.has(Defect::kAcceptForeignOrigin)) {
    verdict = AccessVerdict::kAllowed;
  }
  return verdict == AccessVerdict::kAllowed ? GateVerdict::kAllowed : GateVerdict::kForbidden;
}

}  // namespace flake
