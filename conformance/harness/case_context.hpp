// What a running case can use: the target, its wire log, deadlines bounded by the case budget,
// and connection helpers that fail the case with a precise message when the sidecar misbehaves.
#pragma once

#include "conformance/client/rpc_client.hpp"
#include "conformance/client/url.hpp"
#include "conformance/client/wire_log.hpp"
#include "conformance/harness/catalog.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace flake::conform {

class SidecarProcess;
class ThrowawayPki;

struct Target {
  Url url;  // ws://HOST:PORT/rpc, or wss:// over TLS
  std::string token;
  std::chrono::milliseconds timeout{5000};  // per operation
  SidecarProcess* process = nullptr;        // set when the harness started the sidecar
  pid_t pid = 0;                            // --pid: the process of a URL target (0: unknown)
  // Set when the harness started the sidecar: SIGTERM, wait `pause`, start it again on the same
  // port and wait for its start-up line (§10.8). Updates `process`; false with `error` on failure.
  std::function<bool(std::chrono::milliseconds pause, std::string& error)> restart;
  // Set when the harness started the sidecar: stops the process under test and starts a fresh one
  // set up as `setup` (the PERF group runs on one, §10.1). Updates `process` and `url`.
  std::function<bool(SidecarSetup setup, std::string& error)> replace;
  // Set when the harness started the sidecar and chooses its options (--reference, or --spawn
  // with {options}; §11.7): another process of the same sidecar set up as `setup`, on a port of
  // its own, stopped when the result goes away. Nullopt with `error` when it does not listen.
  std::function<std::optional<StartedSidecar>(SidecarSetup setup, std::string& error)> start_other;
  // Set with start_other: another process of the same sidecar started as `spec` describes, whether
  // or not it comes to listen (a case may expect it to fail). `error` when the start cannot be
  // composed (a --spawn command and a start without --port or --token-file) or run at all.
  std::function<StartAttempt(const StartSpec& spec, std::string& error)> start_with;
  // True when the suite composes the whole command (--reference): a StartSpec may then leave out
  // --port and --token-file.
  bool composes_command = false;
  // --tls with --reference or --spawn: the chain and key the sidecar was given and the CA the suite
  // trusts (docs/protocol.md §14); null otherwise. With TLS, target_tls() holds the trust.
  const ThrowawayPki* tls_pki = nullptr;
};

class CaseContext {
 public:
  CaseContext(const Target& target, WireLog& log, Deadline case_deadline, Path path = Path::Text)
      : target_(target), log_(log), case_deadline_(case_deadline), path_(path) {}

  const Target& target() const { return target_; }
  // The path of this cell of a path-generic case (open_rpc_path); Path::Text for other cases.
  Path path() const { return path_; }
  WireLog& log() { return log_; }
  std::chrono::milliseconds timeout() const { return target_.timeout; }
  // now + timeout, never past the case budget.
  Deadline deadline() const { return deadline_after(target_.timeout); }
  Deadline deadline_after(std::chrono::milliseconds wait) const;
  std::chrono::milliseconds time_left() const;

  ConnectOptions options() const;
  // A fresh client with its own connection number; not connected yet.
  std::unique_ptr<RpcClient> client() { return std::make_unique<RpcClient>(&log_, ++connections_); }
  // Numbers a connection in the wire log (HTTP requests open their own).
  int next_connection_number() { return ++connections_; }
  // Connects to `path` (default: the target's); returns whatever happened.
  std::pair<std::unique_ptr<RpcClient>, ConnectResult> try_connect(const ConnectOptions& options,
                                                                   const std::string& path = {});
  // Connects and requires the upgrade to succeed.
  std::unique_ptr<RpcClient> connect(const ConnectOptions& options);
  std::unique_ptr<RpcClient> connect() { return connect(options()); }
  // Connects and authenticates with the target's token.
  std::unique_ptr<RpcClient> connect_authenticated();
  json authenticate(RpcClient& rpc);  // the auth result, or the case fails
  const json& last_auth_result() const { return auth_result_; }
  // capabilities from the last successful authentication (fetched if none yet).
  const json& capabilities();

  // A call that must produce a result.
  json call_result(RpcClient& rpc, std::string_view method, const json& params,
                   Encoding encoding = Encoding::Json);
  // A test.* call (docs §11): -32601 means the sidecar does not run in conformance mode.
  json call_test_method(RpcClient& rpc, std::string_view method, const json& params);
  // Answers system.ping: the connection still works.
  void require_usable(RpcClient& rpc, std::string_view after_what);

 private:
  const Target& target_;
  WireLog& log_;
  Deadline case_deadline_;
  Path path_;
  int connections_ = 0;
  json auth_result_;
};

}  // namespace flake::conform
