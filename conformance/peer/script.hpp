// What a client case changes about the scripted sidecar. Every member has the default behaviour of
// the design (a well-behaved sidecar); a case overrides only what its scenario needs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform::peer {

using json = nlohmann::json;

// How the peer treats one accepted TCP connection before any WebSocket traffic.
struct Refusal {
  enum class Kind {
    None,                 // a normal 101 and a normal connection
    FinAtAccept,          // close the TCP connection at once (FIN)
    ResetAtAccept,        // reset it at once (RST, SO_LINGER 0)
    Http503,              // read the request, answer 503 (with Retry-After when retry_after_s >= 0)
    UpgradeThenClose,     // 101, then close the TCP connection without a close frame
    UpgradeThenCloseCode  // 101, then a close frame with `close_code`
  };
  Kind kind = Kind::None;
  int retry_after_s = -1;
  int close_code = 0;
};

// How the peer ends a connection on purpose.
struct Fault {
  enum class Kind { None, TcpClose, TcpReset, CloseFrame };
  Kind kind = Kind::None;
  int close_code = 0;
};

// The layout of one outgoing data message.
struct SendShape {
  int fragments = 1;          // > 1: split into that many frames
  bool ping_between = false;  // a ping between fragments 1 and 2
  std::string ping_payload = "mid-message";
  bool pong_before = false;  // an unsolicited pong just before the message
  std::string pong_payload = "unsolicited";
  bool compress = true;  // with permessage-deflate agreed: false sends this one uncompressed
};

// One request as the peer received it (a batch member or a single message).
struct Request {
  int conn = 0;
  json id;
  std::string method;
  json params;
  bool in_batch = false;
  bool binary = false;
  int nth = 0;  // how many requests of this method the peer has received so far, this one included
};

// A response body: {"result":...} or {"error":{...}}; `silent` leaves the request unanswered.
struct Answer {
  json body;
  bool silent = false;
};

struct PeerScript {
  std::string token;  // auth.authenticate compares against it
  std::vector<std::string> services = {"vercel", "supabase"};  // S, T
  bool deflate = false;                      // agree to permessage-deflate when offered
  std::function<Refusal(int conn)> refusal;  // per accepted connection
  std::function<SendShape(int conn, std::size_t nth_message)> shape;
  // Overrides the answer to a request; nullopt keeps the default.
  std::function<std::optional<Answer>(const Request&)> answer;
  // Edits every outgoing JSON-RPC message just before encoding; `request` is null for
  // notifications.
  std::function<void(json& message, const Request* request)> rewrite;
  bool reverse_batch = false;  // answer batch members in reverse order
  // Seqs sent (alternating logs.update / metrics.update) once a session holds both subscriptions.
  std::vector<std::int64_t> initial_seqs = {1, 2, 3};
  // Seqs the session's replay no longer holds: session.resume replays the others after lastSeq
  // (a replay that jumps at the same place as the live run, §6.2h).
  std::vector<std::int64_t> replay_lost;
  // Further notifications, one after each answered loop call, continuing the session's seq (taken
  // from this count once per peer, not per connection).
  int loop_notifications = 0;
  std::function<Fault(int conn, std::int64_t seq)> after_notification;
  std::function<Fault(const Request&)> after_answer;
};

}  // namespace flake::conform::peer
