// The client's I/O thread: one connection at a time, its attempts and reconnection (§7.7), the
// session it authenticates and resumes (§7.3, §7.4), the calls in flight with their timeouts and
// breakers (§7.8), the rate-limit gate (§8.3) and large exports (§6.7-§6.10). Only submit(),
// request_stop() and gave_up() are called from other threads.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reference/client/backoff.hpp"
#include "reference/client/breaker.hpp"
#include "reference/client/client.hpp"
#include "reference/client/client_defects.hpp"
#include "reference/client/frame.hpp"
#include "reference/client/handshake.hpp"
#include "reference/client/large_export.hpp"
#include "reference/client/message_reader.hpp"
#include "reference/client/socket.hpp"
#include "reference/codec/json.hpp"

namespace flake::client {

// A piece of work from the API, waiting for the I/O thread.
struct Job {
  enum class Kind { kCall, kBatch, kSubscribe, kLarge } kind = Kind::kCall;
  std::vector<CallRequest> requests;  // one, except for kBatch
  std::promise<CallResult> one;
  std::promise<std::vector<CallResult>> many;
  std::promise<LargeResult> large;
};

// How one request ended, as the I/O thread sees it.
struct Reply {
  Outcome outcome = Outcome::kTransport;  // kResult, kError, kTransport or kTimeout
  const cJSON* result = nullptr;          // kResult (valid during the callback only)
  int code = 0;                           // kError
  std::string message;                    // kError
  const cJSON* data = nullptr;            // kError, may be null
};

class Engine {
 public:
  Engine(ClientConfig config, ClientBehaviour behaviour, EventHandler on_event);

  void submit(Job job);  // any thread
  void request_stop();   // any thread
  bool gave_up() const { return gave_up_.load(); }
  void run();  // the I/O thread

 private:
  using Done = std::function<void(const Reply&)>;
  struct Pending {
    std::string method;
    Clock::time_point deadline;
    Done done;
  };
  struct Subscription {
    std::string method;
    std::string params_json;
    std::string id;
  };
  struct Stream {
    ExportAssembly assembly;
    std::promise<LargeResult> promise;
    Clock::time_point deadline;
  };
  enum class Phase { kAuthenticating, kRestoring, kReady };
  enum class End { kStopped, kEof, kClosed, kFailed, kGap, kAbandoned };

  // engine.cpp: attempts, the connection loop, frames.
  bool wait_until(Clock::time_point t);  // false: stop requested
  bool absorb_inbox();                   // false: stop requested
  struct AttemptResult {
    bool ok = false;
    std::optional<std::chrono::seconds> retry_after;
    std::string leftover;  // bytes after the 101 head
  };
  AttemptResult open_connection();
  End pump(std::string_view first_bytes);
  std::optional<End> process(std::span<const uint8_t> bytes);  // a set End: the connection ended
  void send_frame(Opcode op, std::string_view payload);
  bool flush();  // false: the socket failed
  void close_connection(uint16_t code);
  void after_connection(End end);
  void on_attempt_failed(Clock::time_point ended, std::optional<std::chrono::seconds> retry_after);
  void give_up();
  void fail_everything();
  void emit(Event e) const;
  Clock::time_point next_deadline() const;

  // engine_rpc.cpp: JSON-RPC over the connection.
  std::string send_request(const std::string& method, const cJSON* params, Done done);
  void send_batch(std::vector<std::pair<CallRequest, Done>> members);
  void handle_message(Incoming::Kind kind, const std::string& payload);
  void handle_response(const cJSON* response, const std::string& key);
  void handle_notification(std::string_view method, const cJSON* params);
  void on_update(std::string_view method, const cJSON* params);
  void on_chunk(const cJSON* params);
  void start_authentication();
  void on_authenticated(const cJSON* result);
  void restore_session(const std::string& fresh_id);
  void resubscribe(size_t index);
  void become_ready();
  void dispatch_waiting(Clock::time_point now);
  void dispatch(Job& job, Clock::time_point now);
  Done user_call_done(std::string method, Breaker* breaker, std::function<void(CallResult)> fulfil);
  void check_timeouts(Clock::time_point now);

  const ClientConfig config_;
  const ClientBehaviour behaviour_;
  const EventHandler on_event_;
  const BackoffPolicy backoff_;
  std::optional<WsUrl> url_;

  // Shared with the API threads.
  std::mutex mu_;
  std::deque<Job> inbox_;
  bool stop_requested_ = false;
  std::atomic<bool> gave_up_{false};
  std::atomic<size_t> queued_{0};  // jobs in inbox_ and waiting_, bounded by max_queued_calls
  WakePipe wake_;

  // The I/O thread's own state.
  std::mt19937_64 rng_;
  std::deque<Job> waiting_;
  BreakerSet breakers_;
  int64_t next_id_ = 1;
  // Per connection.
  Fd sock_;
  std::unique_ptr<MessageReader> reader_;
  std::string outbuf_;
  Phase phase_ = Phase::kAuthenticating;
  bool authenticated_here_ = false;
  bool close_sent_ = false;
  bool gap_seen_ = false;
  std::optional<Clock::time_point> abandon_at_;   // auth refused: wait this long for the close
  std::optional<uint16_t> close_code_;            // what the server's close frame said
  std::map<std::string, Pending> pending_;        // by the id's JSON text
  std::deque<std::vector<std::string>> batches_;  // ids of batches in flight, in order
  std::map<std::string, Stream> streams_;
  Clock::time_point send_gate_{};  // §8.3: no request before this
  // Across connections.
  bool have_session_ = false;
  std::string session_id_;
  int64_t last_seq_ = 0;
  std::vector<Subscription> subscriptions_;
  bool ever_ready_ = false;
  bool resume_for_gap_ = false;  // the next session restore follows a seq jump (§6.2), not §7.7
  // §6.2h: the last seq before the jump a resume was made for; a replay that jumps from there
  // again means the sidecar lost those notifications, and the client takes the loss.
  std::optional<int64_t> resumed_gap_from_;
  int failed_in_a_row_ = 0;
  int delays_waited_ = 0;
  Clock::time_point next_attempt_at_{};
};

}  // namespace flake::client
