// Helpers of the §7 cases (sessions, replay, resume): a fault proxy between client and sidecar,
// emitting entries and collecting them, session.resume with its replay, prepared sessions.
#pragma once

#include "conformance/cases/case_util.hpp"
#include "conformance/client/fault_proxy.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace flake::conform {

std::unique_ptr<FaultProxy> start_proxy(CaseContext& ctx);

// TCP goes through the proxy while Host still names the sidecar, which checks it (§4.3).
std::unique_ptr<RpcClient> connect_through(CaseContext& ctx, const FaultProxy& proxy);

json emit_params(int count, int per_notification);

// Emits entries for vercel from `rpc` and collects its notifications up to the response (§11.2: the
// response comes after the last notification the call produced for this connection).
void emit_and_collect(CaseContext& ctx, RpcClient& rpc, int count, SeqCollector& seen);

// An emission on another connection, for a session that is (or is about to be) detached.
void emit_elsewhere(CaseContext& ctx, RpcClient& rpc, int count, int per_notification);

// What session.resume answered, and the notifications it replayed.
struct Resumed {
  json response;
  std::int64_t replayed = -1;
  SeqCollector notes;
};

// Sends session.resume and reads the response plus every replayed notification.
Resumed resume(CaseContext& ctx, RpcClient& rpc, const std::string& session, std::int64_t last_seq);

// The replayed run starts right after lastSeq, has no gap or duplicate and holds `count` emitted
// entries (n = 0 .. count-1).
void require_full_replay(const Resumed& r, std::int64_t last_seq, int count);

// A session subscribed to vercel's logs through the proxy, six entries emitted and seen.
struct Subscribed {
  std::unique_ptr<RpcClient> rpc;
  std::string session;
  SeqCollector seen;
};
Subscribed subscribed_through(CaseContext& ctx, const FaultProxy& proxy);

enum class Fault { Cut, Reset };

// 7.1/1-2: a subscribed session survives the fault with nothing lost.
Outcome survives(CaseContext& ctx, Fault fault);

// A subscribed session whose connection was cut by the proxy before anything was emitted.
std::string subscribed_then_cut(CaseContext& ctx, FaultProxy& proxy);

// A session with one logs subscription that saw a few notifications, then unsubscribed: its last
// seq is known exactly, because nothing can add to it any more (§5.11).
struct Quiet {
  std::string session;
  std::int64_t last_seq = 0;
};

Quiet quiet_session(CaseContext& ctx, FaultProxy& proxy);

// A session with a logs subscription, some notifications seen, then dropped (§11.4).
struct Dropped {
  std::string session;
  std::string subscription;
  SeqCollector seen;
};

Dropped subscribe_emit_drop(CaseContext& ctx, int count);

// Emits more entries for the detached session's subscription from another connection.
void emit_while_detached(CaseContext& ctx, RpcClient& rpc, int count);

}  // namespace flake::conform
