// The reference client's defect switches: the catalogue generated from client_defects.def, and
// ClientBehaviour, the switches resolved once into named predicates that the client code asks.
#pragma once

#include <bitset>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flake::client {

enum class ClientDefect {
#define FLAKE_CLIENT_DEFECT(id, name, rule, must_fail, description) id,
#include "reference/client/client_defects.def"
#undef FLAKE_CLIENT_DEFECT
  kCount
};

struct ClientDefectInfo {
  ClientDefect defect;
  std::string_view name;         // the --defect NAME
  std::string_view rule;         // where the broken rule is written, e.g. "§7.8"
  std::string_view must_fail;    // client case IDs that must fail, comma-separated
  std::string_view description;  // what the client then does
};

std::span<const ClientDefectInfo> client_defect_catalog();
const ClientDefectInfo* find_client_defect(std::string_view name);

// What the client does, resolved once from the switches that are on. Each predicate names the rule
// as a conforming client follows it; a defect turns exactly one predicate false (or, for the
// strict-* and *-ignored switches, true where a conforming client says false). Code asks these
// predicates, never the raw switches.
class ClientBehaviour {
 public:
  ClientBehaviour() = default;
  // Unknown names are the caller's to report (find_client_defect); here they are ignored.
  static ClientBehaviour from_names(const std::vector<std::string>& names);
  void enable(ClientDefect d) { on_.set(static_cast<size_t>(d)); }
  bool any() const { return on_.any(); }

  // §1.7
  bool inflates_compressed_messages() const { return !on(ClientDefect::kDeflateIgnored); }
  // §2.5
  bool masks_frames() const { return !on(ClientDefect::kUnmaskedFrames); }
  bool accepts_continuation_frames() const { return !on(ClientDefect::kFragmentsRejected); }
  bool accepts_unsolicited_pongs() const { return !on(ClientDefect::kPongRejected); }
  // §3.3, §3.4
  bool uses_integer_ids() const { return !on(ClientDefect::kFractionalIds); }
  // §3.9
  bool reads_code_not_message() const { return !on(ClientDefect::kCodeFromMessage); }
  bool matches_batch_by_id() const { return !on(ClientDefect::kBatchByPosition); }
  // §4.6
  bool ignores_unknown_auth_members() const { return !on(ClientDefect::kStrictAuthResult); }
  bool sends_client_info() const { return !on(ClientDefect::kNoClientInfo); }
  // §6.1, §6.4
  bool ignores_unknown_params_members() const { return !on(ClientDefect::kStrictNotifications); }
  bool ignores_unknown_entry_members() const { return !on(ClientDefect::kStrictEntries); }
  // §6.2
  bool resumes_after_gap() const { return !on(ClientDefect::kGapsIgnored); }
  bool accepts_repeated_gap() const { return !on(ClientDefect::kGapResumeRepeated); }
  // §6.10
  bool verifies_sha256() const { return !on(ClientDefect::kSha256Unchecked); }
  bool verifies_bytes() const { return !on(ClientDefect::kBytesUnchecked); }
  // §7.4
  bool resubscribes_after_expiry() const { return !on(ClientDefect::kNoResubscribe); }
  // §7.6
  bool answers_pings() const { return !on(ClientDefect::kNoPong); }
  bool echoes_ping_payload() const { return !on(ClientDefect::kPongWithoutPayload); }
  // §7.7
  bool reconnects() const { return !on(ClientDefect::kNoReconnect); }
  bool resumes_after_reconnect() const { return !on(ClientDefect::kNoResume); }
  bool doubles_backoff() const { return !on(ClientDefect::kFixedBackoff); }
  bool gives_up() const { return !on(ClientDefect::kNoGiveUp); }
  bool stops_after_4401() const { return !on(ClientDefect::kReconnectAfter4401); }
  bool honours_retry_after() const { return !on(ClientDefect::kRetryAfterIgnored); }
  // §7.8
  bool has_breaker() const { return !on(ClientDefect::kNoBreaker); }
  bool breaker_per_service() const { return !on(ClientDefect::kSharedBreaker); }
  bool breaker_half_opens() const { return !on(ClientDefect::kNoHalfOpen); }
  bool result_resets_breaker() const { return !on(ClientDefect::kBreakerNeverResets); }
  // §7.9
  bool calls_at_once_after_reconnect() const { return !on(ClientDefect::kSlowRecovery); }
  // §8.3
  bool honours_retry_after_ms() const { return !on(ClientDefect::kRetryAfterMsIgnored); }

 private:
  bool on(ClientDefect d) const { return on_.test(static_cast<size_t>(d)); }
  std::bitset<static_cast<size_t>(ClientDefect::kCount)> on_;
};

}  // namespace flake::client
