// Small building blocks shared by the case files: raw sends, nested documents, MessagePack
// bytes, refusal checks, clock reset, and a collector for seq-numbered notifications.
#pragma once

#include "conformance/harness/case_context.hpp"
#include "conformance/harness/expect.hpp"
#include "conformance/harness/rpc_path.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

// The id an answer carries: its "id" member when `in` is a JSON object, null otherwise. For
// require_error after RpcClient::call, which picks the request id itself.
json answer_id(const Incoming& in);

// Shape checks: true only when `v` is an object holding member `key` of that JSON type.
// has_integer wants an integer (is_number_integer); has_number takes any number.
bool has_string(const json& v, std::string_view key);
bool has_integer(const json& v, std::string_view key);
bool has_number(const json& v, std::string_view key);
bool has_bool(const json& v, std::string_view key);
bool has_object(const json& v, std::string_view key);
bool has_array(const json& v, std::string_view key);

// MessagePack cases report Unimplemented when capabilities.msgpack is false.
void require_msgpack_capability(CaseContext& ctx);

// Reads until a close frame (or EOF/timeout); a data message first fails the case unless
// `messages_allowed`.
Incoming await_close(CaseContext& ctx, RpcClient& rpc, bool messages_allowed);

// Sends raw text (not re-encoded) and waits for the next response or batch answer.
Incoming send_text_wait(CaseContext& ctx, RpcClient& rpc, std::string_view text);
Incoming send_binary_wait(CaseContext& ctx, RpcClient& rpc, std::string_view bytes);

std::string to_msgpack_bytes(const json& value);

// `v` with two decimals, for messages and figures.
std::string fmt(double v);

// `depth` nested arrays around 0, e.g. depth 2: [[0]].
std::string nested_arrays(int depth);

// A request whose total depth (§8.9: the request object counts) is exactly `depth` >= 2.
std::string request_with_depth(int depth, int id);

// The HTTP answer to a refused upgrade: this status, no 101, and (§9.3) the JSON error body
// with `code` when `code` is non-zero.
void require_refusal(const ConnectResult& r, int status, int code, std::string_view what);
void require_upgraded(const ConnectResult& r, std::string_view what);

// Resets the sidecar clock offset (§11.5) when destroyed, through an authenticated connection.
class ClockGuard {
 public:
  explicit ClockGuard(CaseContext& ctx) : ctx_(ctx) {}
  ~ClockGuard();
  ClockGuard(const ClockGuard&) = delete;
  ClockGuard& operator=(const ClockGuard&) = delete;
  // Sets the offset; false when test.setClock is not available (-32601).
  bool set(std::int64_t offset_ms);

 private:
  CaseContext& ctx_;
  std::unique_ptr<RpcClient> rpc_;
  bool changed_ = false;
};

// A test entry of §11.2: an object with "source":"test.emitLogs" and an integer "n".
bool is_test_entry(const json& entry);

// Collects seq-numbered server notifications (§6.2) and the test entries (§11.2) they carry.
struct SeqCollector {
  std::map<std::int64_t, json> by_seq;  // seq -> params
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::map<std::int64_t, int> entries_by_n;  // test entry n -> times seen
  std::string problem;                       // first anomaly: gap, duplicate, bad shape

  // Adds one notification; records the first anomaly.
  void add(const json& notification);
  std::size_t test_entries() const { return entries_by_n.size(); }
  bool has_all_entries(std::int64_t count) const;
};

// Reads notifications into `c` until `done()` or the deadline; false on timeout or disconnect.
template <typename Done>
bool collect_until(RpcClient& rpc, SeqCollector& c, Deadline deadline, Done done) {
  while (!done()) {
    auto n = rpc.next_notification(deadline);
    if (!n) return false;
    c.add(*n);
  }
  return true;
}

// auth.authenticate's params with this token and a well-formed clientInfo.
json auth_params(const json& token);

// Sends `method` and requires the error `code`; returns the error object.
json error_of(CaseContext& ctx, RpcClient& rpc, std::string_view method, const json& params,
              int code, std::string_view what);
json error_of(CaseContext& ctx, RpcPath& path, std::string_view method, const json& params,
              int code, std::string_view what);
// An error object's data {"field": `field`} (§3.6).
void require_field(const json& error, std::string_view field, std::string_view what);

// Timer granularity and a loaded machine: how late a ping or close may be and still count.
constexpr std::chrono::milliseconds kSlack{1500};
long long ms_between(Clock::time_point a, Clock::time_point b);

// The log levels of §6.4 in order, and a level's rank in it (-1: not a level).
inline constexpr const char* kLevels[] = {"debug", "info", "warn", "error"};
int level_rank(const std::string& level);

// Subscribes and returns the subscription id; the case fails on anything but
// {"subscription":<string>}.
std::string subscribe(CaseContext& ctx, RpcClient& rpc, std::string_view method, const json& params,
                      Encoding encoding = Encoding::Json);
// Sends test.emitLogs and collects notifications until its response. §11.2: the response comes
// after the last notification the call produced for this connection.
SeqCollector emit_logs_and_collect(CaseContext& ctx, RpcClient& rpc, const json& params);
// A logs.update's params: this subscription and service, entries of §6.4's shape, and test entries
// as §11.2 describes them.
void check_log_update(const json& params, const std::string& subscription,
                      std::string_view service);

// Every entry of the export logs.getLarge answers for `params` (a JSON-format export), assembled
// and checked through ChunkAssembler (§6.7-6.10); the case fails on any problem.
std::vector<json> exported_entries(CaseContext& ctx, RpcClient& rpc, const json& params);

// Another process of the sidecar under test, started as `spec` says (docs/protocol.md §11.7), for
// the cases of §1.1, §1.2, §1.8, §4.1 and §11.1 that need a start of their own. Skips the case
// when the suite does not choose the sidecar's options or cannot compose this start.
StartAttempt start_own_sidecar(CaseContext& ctx, const StartSpec& spec, std::string_view what);
// The start printed its start-up line: its URL, or the case fails with the process's output.
Url require_listening(CaseContext& ctx, const StartAttempt& start, std::string_view what);
// The start ended with a non-zero exit status and no start-up line within its wait.
void require_start_refused(const StartAttempt& start, std::string_view what);
// A connection to `url` authenticated with `token`: the auth result, or the case fails.
json authenticate_at(CaseContext& ctx, RpcClient& rpc, const Url& url, std::string_view token,
                     std::string_view what);

}  // namespace flake::conform
