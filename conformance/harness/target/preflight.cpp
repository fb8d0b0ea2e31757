// The check before a run (see preflight.hpp): shared by the CLI and the Python module's
// run_conformance, so both refuse a wrong token the same way.
#include "conformance/harness/target/preflight.hpp"

#include "conformance/client/socket.hpp"

#include <memory>
#include <thread>

namespace flake::conform {

Preflight preflight(const Target& target) {
  // A sidecar that prints its start-up line before its port accepts connections breaks 1.2c,
  // which case 1.2/3 reports: give the port up to 2 s rather than end the run with a usage error.
  const Deadline grace = deadline_in(std::chrono::milliseconds(2000));
  while (target.process != nullptr && Clock::now() < grace) {
    TcpSocket probe;
    if (probe.connect(target.url.host, target.url.port,
                      deadline_in(std::chrono::milliseconds(100)))) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Preflight out;
  WireLog log;
  auto rpc = std::make_unique<RpcClient>(&log, 1);
  ConnectOptions o;
  o.timeout = target.timeout;
  ConnectResult r = rpc->connect(target.url, o);
  if (!r.upgraded) {
    // A sidecar that refuses upgrades without a subprotocol breaks 1.6/2, which the report should
    // say, rather than a usage error: retry as a client offering flake.v1 would.
    o.subprotocols = {"flake.v1"};
    rpc = std::make_unique<RpcClient>(&log, 1);
    r = rpc->connect(target.url, o);
  }
  if (!r.upgraded && r.status == 101) {
    // The sidecar is there and switches protocols, but its 101 breaks RFC 6455 (1.5/1): that is
    // a finding for the report, not a usage error.
    out.warning = "the upgrade answer fails the RFC 6455 checks (" + r.error +
                  "); running the cases, which report it";
    return out;
  }
  if (!r.upgraded) {
    out.verdict = Preflight::Verdict::Unreachable;
    out.http_status = r.status;
    out.error = "cannot open a WebSocket to " + target.url.scheme + "://" + target.url.authority +
                target.url.path + ": " + r.error;
    if (r.status == 404 && target.url.path != "/rpc") {
      out.error += " (flake.v1 sidecars serve their WebSocket at /rpc: try " + target.url.scheme +
                   "://" + target.url.authority + "/rpc)";
    }
    return out;
  }
  const Incoming in = rpc->authenticate(target.token, client_info(), target.timeout);
  if (in.is_value() && in.value.contains("error") && in.value["error"].value("code", 0) == -32001) {
    out.verdict = Preflight::Verdict::TokenRejected;
    out.error = "the sidecar rejected the token (-32001)";
    return out;
  }
  rpc->ws().close(1000, deadline_in(std::chrono::milliseconds(500)));
  return out;
}

}  // namespace flake::conform
