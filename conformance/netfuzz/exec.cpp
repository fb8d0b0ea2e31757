// Burst execution for the network fuzzer (see exec.hpp). What the peer answers is read
// and discarded: the verdict comes from the health check that follows the burst.
#include "conformance/netfuzz/exec.hpp"

#include "conformance/client/ws_frame.hpp"
#include "conformance/netfuzz/exec_tls.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <thread>

namespace flake::conform::netfuzz {
namespace {

constexpr std::size_t kChunk = 256 * 1024;

struct Conn {
  TcpSocket socket;
  ConnOutcome outcome;
  std::string inbox;  // what the peer sent, kept only while a step looks for something in it
  std::unique_ptr<ScriptTls> tls;  // the Tls* steps' own session on a plain connection
};

// A Tls* step's verdict: false ends the connection with `end` (the server may well refuse).
bool tls_step(Conn& c, const Step& step, const ExecTarget& target, Deadline deadline) {
  std::string error;
  bool ok = true;
  if (step.kind == StepKind::TlsHandshake) {
    c.tls = ScriptTls::handshake(c.socket.fd(), target.host, step.text, deadline, error);
    ok = c.tls != nullptr;
    if (ok) ++c.outcome.tls_handshakes;
  } else if (!c.tls) {
    error = std::string(to_string(step.kind)) + " without tls_handshake";
    ok = false;
  } else if (step.kind == StepKind::TlsSend) {
    const std::string data = expand(step.segments, target);
    ok = c.tls->write(data, deadline, error);
    if (ok) c.outcome.sent += data.size();
  } else if (step.kind == StepKind::TlsCloseNotify) {
    c.tls->close_notify();
  } else {
    ok = c.tls->rekey(deadline, error);
  }
  if (!ok) c.outcome.end = error;
  return ok;
}

Deadline step_deadline(const ExecTarget& target, Deadline burst) {
  return std::min(burst, deadline_in(target.op_timeout));
}

bool send_bytes(Conn& c, std::string_view data, Deadline deadline) {
  const IoStatus status = c.socket.send_all(data, deadline);
  if (status == IoStatus::Ok) {
    c.outcome.sent += data.size();
    return true;
  }
  c.outcome.end = status == IoStatus::Timeout ? "send timed out" : "send: " + c.socket.error();
  return false;
}

bool send_segments(Conn& c, const std::vector<Segment>& segments, const ExecTarget& target,
                   Deadline deadline) {
  for (const Segment& s : segments) {
    switch (s.kind) {
      case SegmentKind::Bytes:
        if (!send_bytes(c, s.bytes, deadline)) return false;
        break;
      case SegmentKind::Authority:
        if (!send_bytes(c, target.authority, deadline)) return false;
        break;
      case SegmentKind::Token:
        if (!send_bytes(c, target.token, deadline)) return false;
        break;
      case SegmentKind::Repeat: {
        if (s.bytes.empty()) break;
        std::string chunk;
        while (chunk.size() + s.bytes.size() <= kChunk) chunk += s.bytes;
        std::uint64_t left = s.bytes.size() * s.count;
        while (left > 0) {
          const std::size_t n =
              static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
          if (!send_bytes(c, std::string_view(chunk).substr(0, n), deadline)) return false;
          left -= n;
        }
        break;
      }
    }
  }
  return true;
}

// Reads until `done(inbox)` holds, the peer ends, or the deadline; false when the peer ended.
template <typename Done>
bool read_until(Conn& c, Deadline deadline, Done done) {
  std::array<char, 16384> buffer{};
  while (!done(c.inbox)) {
    const RecvResult r = c.socket.recv_some(buffer.data(), buffer.size(), deadline);
    if (r.status == IoStatus::Timeout) return true;
    if (r.status != IoStatus::Ok) {
      c.outcome.end = r.status == IoStatus::Eof ? "peer closed" : "recv: " + r.error;
      return false;
    }
    c.outcome.received += r.bytes;
    if (c.inbox.size() < (std::size_t{1} << 20)) c.inbox.append(buffer.data(), r.bytes);
  }
  return true;
}

std::string upgrade_bytes(const ExecTarget& target, const std::string& key) {
  return "GET " + target.ws_path + " HTTP/1.1\r\nHost: " + target.authority +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
         "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: flake.v1\r\n\r\n";
}

std::string auth_frame(const ExecTarget& target, const std::string& key) {
  FrameSpec spec;
  spec.opcode = 0x1;
  std::array<std::uint8_t, 4> mask{};
  for (std::size_t i = 0; i < 4 && i < key.size(); ++i) mask[i] = static_cast<std::uint8_t>(key[i]);
  spec.mask_key = mask;
  std::string escaped;  // tokens are printable ASCII; escape the two JSON specials anyway
  for (const char ch : target.token) {
    if (ch == '"' || ch == '\\') escaped.push_back('\\');
    escaped.push_back(ch);
  }
  return encode_frame(spec, R"({"jsonrpc":"2.0","method":"auth.authenticate","params":{"token":")" +
                                escaped + R"("},"id":"netfuzz-auth"})");
}

// One step; false when the connection is finished (ended by us or by the peer).
bool run_step(Conn& c, const Step& step, const ExecTarget& target, Deadline burst) {
  switch (step.kind) {
    case StepKind::Send:
      return send_segments(c, step.segments, target, step_deadline(target, burst));
    case StepKind::Trickle: {
      std::string all;
      for (const Segment& s : step.segments) {
        if (s.kind == SegmentKind::Repeat) {
          for (std::uint64_t i = 0; i < s.count && all.size() < 65536; ++i) all += s.bytes;
        } else {
          all += expand({s}, target);
        }
      }
      const auto delay = std::chrono::milliseconds(std::max(step.delay_ms, 1));
      for (const char ch : all) {
        if (Clock::now() + delay > burst) return true;  // out of time: stop trickling, stay open
        if (!send_bytes(c, std::string_view(&ch, 1), step_deadline(target, burst))) return false;
        std::this_thread::sleep_for(delay);
      }
      return true;
    }
    case StepKind::Upgrade: {
      c.inbox.clear();
      if (!send_bytes(c, upgrade_bytes(target, step.text), step_deadline(target, burst))) {
        return false;
      }
      return read_until(c, step_deadline(target, burst), [](const std::string& in) {
        return in.find("\r\n\r\n") != std::string::npos;
      });
    }
    case StepKind::Authenticate: {
      c.inbox.clear();
      if (!send_bytes(c, auth_frame(target, step.text), step_deadline(target, burst))) {
        return false;
      }
      // Any complete server frame (normally the answer) ends the wait.
      return read_until(c, step_deadline(target, burst), [](const std::string& in) {
        FrameDecoder decoder;
        Frame frame;
        return decoder.feed(in, frame).status != FrameDecoder::Status::Incomplete;
      });
    }
    case StepKind::Pause: {
      const auto until = std::min(burst, deadline_in(std::chrono::milliseconds(step.delay_ms)));
      std::this_thread::sleep_until(until);
      return true;
    }
    case StepKind::Drain:
      c.inbox.clear();
      return read_until(c, std::min(burst, deadline_in(std::chrono::milliseconds(step.delay_ms))),
                        [&c](const std::string&) {
                          c.inbox.clear();  // nothing to look for: keep memory flat
                          return false;
                        });
    case StepKind::ShutdownWrite:
      c.socket.shutdown_write();
      return true;
    case StepKind::Abort:
      c.socket.abort();
      c.outcome.end = "reset by us";
      return false;
    case StepKind::Close:
      c.socket.close();
      c.outcome.end = "closed by us";
      return false;
    case StepKind::TlsHandshake:
    case StepKind::TlsSend:
    case StepKind::TlsCloseNotify:
    case StepKind::TlsRekey:
      return tls_step(c, step, target, step_deadline(target, burst));
  }
  return false;
}

void run_connection(Conn& c, const ConnScript& script, const ExecTarget& target, Deadline burst) {
  c.outcome.label = script.label;
  TlsConnect how;
  if (script.plain) how.use = TlsConnect::Use::kPlain;
  if (!c.socket.connect(target.host, target.port, step_deadline(target, burst), how)) {
    c.outcome.end = "connect: " + c.socket.error();
    return;
  }
  c.outcome.connected = true;
  for (const Step& step : script.steps) {
    if (!run_step(c, step, target, burst)) break;
    if (Clock::now() >= burst) {
      c.outcome.end = "burst deadline";
      break;
    }
  }
  if (c.outcome.end.empty()) c.outcome.end = script.hold ? "held open" : "done";
}

}  // namespace

std::string expand(const std::vector<Segment>& segments, const ExecTarget& target) {
  std::string out;
  for (const Segment& s : segments) {
    switch (s.kind) {
      case SegmentKind::Bytes:
        out += s.bytes;
        break;
      case SegmentKind::Repeat:
        for (std::uint64_t i = 0; i < s.count; ++i) out += s.bytes;
        break;
      case SegmentKind::Authority:
        out += target.authority;
        break;
      case SegmentKind::Token:
        out += target.token;
        break;
    }
  }
  return out;
}

BurstOutcome run_burst(const Burst& burst, const ExecTarget& target, Deadline deadline) {
  std::vector<std::unique_ptr<Conn>> conns;
  for (std::size_t i = 0; i < burst.conns.size(); ++i) conns.push_back(std::make_unique<Conn>());
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < burst.conns.size(); ++i) {
      threads.emplace_back(run_connection, std::ref(*conns[i]), std::cref(burst.conns[i]),
                           std::cref(target), deadline);
    }
    for (auto& t : threads) t.join();
  }
  BurstOutcome out;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    Conn& c = *conns[i];
    out.sent += c.outcome.sent;
    if (c.socket.is_open()) {
      if (burst.conns[i].hold) {
        out.held.push_back(std::move(c.socket));
      } else {
        c.socket.close();
      }
    }
    out.conns.push_back(std::move(c.outcome));
  }
  return out;
}

}  // namespace flake::conform::netfuzz
