// One JSON-RPC path to the sidecar's dispatcher (docs/protocol.md §2.2 text frames, §2.3
// MessagePack binary frames, §9.7 POST /api/v1/rpc), so that a rule written once runs on every path
// it holds on.
#pragma once

#include "conformance/harness/case_context.hpp"

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

namespace flake::conform {

// Sends JSON-RPC messages on one path, authenticated (auth.authenticate on a socket, the Bearer
// token over HTTP), and turns what comes back into an Incoming, so that require_error and friends
// judge every path alike. The differences between paths are stated here once:
// - a message is written as JSON text; the MessagePack path sends the same value as MessagePack,
//   and requires the answer to be binary (§2.4);
// - over HTTP the answer is the body of a 200 (§9.7), and any other status is Kind::Error with the
//   status and body in its description;
// - "no answer": on a socket, silence (a sentinel request sent after it is answered first and
//   nothing follows); over HTTP, status 204 with no body;
// - nothing arrives unasked over HTTP, so `unsolicited` is always Kind::Timeout there.
class RpcPath {
 public:
  virtual ~RpcPath() = default;
  // Sends one message or batch and returns its answer (Kind::Timeout when none came in time).
  virtual Incoming send(std::string_view json_text) = 0;
  // A request for `method` with this id (params omitted when null); its answer.
  Incoming call(std::string_view method, const json& params, const json& id = "call");
  // Sends a message that must get no answer at all, and fails the case when it gets one.
  virtual void require_no_answer(std::string_view json_text, std::string_view what) = 0;
  // Whatever arrives within `wait` without a request (a notification, a stray answer), else
  // Kind::Timeout.
  virtual Incoming unsolicited(std::chrono::milliseconds wait) = 0;
};

// The paths a case of a transport-independent JSON-RPC rule runs on: all of them, or those that
// carry JSON text (a message that is not valid JSON has no MessagePack form).
inline const std::vector<Path> kEveryPath = {Path::Text, Path::MsgPack, Path::Http};
inline const std::vector<Path> kJsonTextPaths = {Path::Text, Path::Http};
// Rules of subscriptions and their notifications: WebSocket only, in either encoding (§2.4: a
// subscription's notifications use the encoding of its subscribe request).
inline const std::vector<Path> kSocketPaths = {Path::Text, Path::MsgPack};
// Rules of notification content that the SSE streams share (§9.12: their params have the shape of
// §6.1): the socket paths and the SSE path.
inline const std::vector<Path> kNotificationPaths = {Path::Text, Path::MsgPack, Path::Sse};

// The encoding a socket cell sends in (MessagePack on Path::MsgPack, after checking that the
// sidecar advertises it; JSON otherwise).
Encoding socket_encoding(CaseContext& ctx);

// A call that must produce a result; returns the result (the case fails otherwise, or is
// unimplemented when a feature method answers -32601).
json call_result(RpcPath& path, std::string_view method, const json& params);

// Answers system.ping: the path still works after `after_what`.
void require_usable(RpcPath& path, std::string_view after_what);

// A path for the case's cell (ctx.path()), opened and authenticated.
std::unique_ptr<RpcPath> open_rpc_path(CaseContext& ctx);

}  // namespace flake::conform
