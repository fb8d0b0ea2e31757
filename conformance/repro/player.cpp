// play(): one thread, poll(2) over every open connection between steps, per-connection decoding
// of what comes back (HTTP head, then WebSocket frames after a 101, else body text).
#include "conformance/repro/player.hpp"

#include "conformance/client/mask_stream.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/client/wire_log.hpp"
#include "conformance/client/ws_frame.hpp"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace flake::conform::repro {
namespace {

using std::chrono::milliseconds;

struct Conn {
  TcpSocket socket;
  std::unique_ptr<MaskRewriter> rewriter;  // after a frames step
  bool asked_upgrade = false;
  bool head_done = false;
  bool websocket = false;
  std::string rbuf;
  FrameDecoder decoder{DecoderOptions{false, 7, std::uint64_t{1} << 31}};
  Frame frame;
  bool ended = false;
  std::uint64_t received = 0;  // bytes so far
  std::uint64_t waited = 0;    // `received` when the last recv step ended
  Clock::time_point last_arrival{};
};

// A recv step ends once the recorded byte count has arrived, or once something has and the
// connection has then been quiet this long (a sidecar may answer with other bytes than the one
// recorded, e.g. a fixed one).
constexpr std::chrono::milliseconds kQuiet{150};

class Player {
 public:
  Player(const PlayTarget& target, const PlayOptions& options, std::FILE* out)
      : target_(target),
        options_(options),
        out_(out),
        start_(Clock::now()),
        deadline_(start_ + options.timeout),
        rng_(std::random_device{}()) {}

  PlayResult run(const Script& script);

 private:
  void print(int conn, std::string_view dir, const std::string& text);
  // Reads what arrives until `until`; `done` (when given) ends the wait early.
  void pump_until(Deadline until, bool stop_when_idle = false,
                  const std::function<bool()>& done = {});
  void read_from(int no, Conn& c);
  void decode(int no, Conn& c);
  void step(const Step& s, PlayResult& result);

  const PlayTarget& target_;
  const PlayOptions& options_;
  std::FILE* out_;
  Clock::time_point start_;
  Deadline deadline_;
  std::mt19937 rng_;
  std::map<int, Conn> conns_;
};

void Player::print(int conn, std::string_view dir, const std::string& text) {
  const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start_).count();
  std::string line = "+" + std::to_string(ms) + "ms #" + std::to_string(conn) + " ";
  line.append(dir);
  line += " " + text;
  const std::string& token = target_.fill.token;
  for (std::size_t at = 0; !token.empty() && (at = line.find(token, at)) != std::string::npos;) {
    line.replace(at, token.size(), "<token>");
  }
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void Player::decode(int no, Conn& c) {
  if (!c.head_done) {
    const std::size_t end = c.rbuf.find("\r\n\r\n");
    if (end == std::string::npos) return;
    const std::string head = c.rbuf.substr(0, end);
    c.rbuf.erase(0, end + 4);
    c.head_done = true;
    c.websocket = c.asked_upgrade && head.starts_with("HTTP/1.1 101");
    std::string shown;  // one line: the head's lines joined by " | "
    for (std::size_t at = 0; at <= head.size();) {
      const std::size_t eol = std::min(head.find("\r\n", at), head.size());
      shown += (at == 0 ? "" : " | ") + head.substr(at, eol - at);
      at = eol + 2;
    }
    print(no, "<-", "HTTP " + WireLog::summarize_text(shown, 600));
  }
  if (!c.websocket) {
    if (!c.rbuf.empty()) print(no, "<-", "body " + WireLog::summarize_text(c.rbuf));
    c.rbuf.clear();
    return;
  }
  std::size_t pos = 0;
  while (pos < c.rbuf.size()) {
    const auto r = c.decoder.feed(std::string_view(c.rbuf).substr(pos), c.frame);
    pos += r.consumed;
    if (r.status == FrameDecoder::Status::Incomplete) break;
    if (r.status == FrameDecoder::Status::Error) {
      print(no, "<-",
            "not a valid frame (" + std::string(to_string(r.error)) +
                "): " + WireLog::hex_prefix(std::string_view(c.rbuf).substr(pos)));
      pos = c.rbuf.size();
      c.websocket = false;
      break;
    }
    const Frame& f = c.frame;
    std::string text = "frame op=" + std::to_string(f.opcode) + (f.fin ? "" : " fin=0") +
                       (f.rsv != 0 ? " rsv=" + std::to_string(f.rsv) : "") + ": ";
    if (f.rsv != 0) {
      text += "compressed " + WireLog::hex_prefix(f.payload);
    } else if (f.opcode == 0x1) {
      text = "text " + WireLog::summarize_text(f.payload);
    } else if (f.opcode == 0x2) {
      text = "binary " + WireLog::summarize_binary(f.payload);
    } else if (f.opcode == 0x8) {
      text = "close";
      if (f.payload.size() >= 2) {
        text += " " +
                std::to_string((static_cast<std::uint8_t>(f.payload[0]) << 8) |
                               static_cast<std::uint8_t>(f.payload[1])) +
                " " + WireLog::summarize_text(f.payload.substr(2));
      }
    } else if (f.opcode == 0x9 || f.opcode == 0xA) {
      text = (f.opcode == 0x9 ? "ping " : "pong ") + WireLog::summarize_text(f.payload, 125);
    } else {
      text += WireLog::summarize_text(f.payload);
    }
    print(no, "<-", text);
    c.frame = Frame{};
  }
  c.rbuf.erase(0, pos);
}

void Player::read_from(int no, Conn& c) {
  char buf[65536];
  const RecvResult r = c.socket.recv_some(buf, sizeof buf, Clock::now());
  if (r.status == IoStatus::Timeout) return;
  if (r.status != IoStatus::Ok) {
    print(no, "<-",
          r.status == IoStatus::Eof ? "EOF (the sidecar closed the connection)"
                                    : "connection error: " + r.error);
    c.ended = true;
    c.socket.close();
    return;
  }
  c.received += r.bytes;
  c.last_arrival = Clock::now();
  c.rbuf.append(buf, r.bytes);
  decode(no, c);
}

// Reads whatever arrives until `until` (capped by the overall deadline).
void Player::pump_until(Deadline until, bool stop_when_idle, const std::function<bool()>& done) {
  for (;;) {
    if (done && done()) return;
    const Deadline now_limit = std::min(until, deadline_);
    std::vector<pollfd> fds;
    std::vector<int> nos;
    for (auto& [no, c] : conns_) {
      if (c.socket.is_open() && !c.ended) {
        fds.push_back({c.socket.fd(), POLLIN, 0});
        nos.push_back(no);
      }
    }
    const auto left = std::chrono::duration_cast<milliseconds>(now_limit - Clock::now()).count();
    if (left <= 0 || (stop_when_idle && fds.empty())) return;
    const int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 100)));
    if (rc > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0) read_from(nos[i], conns_[nos[i]]);
      }
    }
  }
}

void Player::step(const Step& s, PlayResult& result) {
  Conn& c = conns_[s.conn];
  const Deadline op = std::min(deadline_, deadline_in(milliseconds(5000)));
  switch (s.kind) {
    case StepKind::Connect:
      if (!c.socket.connect(target_.host, target_.port, op)) {
        result.error = "cannot connect to " + target_.host + ":" + std::to_string(target_.port) +
                       ": " + c.socket.error();
        return;
      }
      print(s.conn, "..", "connected");
      return;
    case StepKind::Frames:
      c.rewriter = std::make_unique<MaskRewriter>([this] {
        MaskKey key;
        for (auto& b : key) b = static_cast<std::uint8_t>(rng_() & 0xFF);
        return key;
      });
      return;
    case StepKind::Send: {
      Fill shown = target_.fill;
      shown.token = "<token>";
      const std::string text = expand(s.pieces, shown);
      if (!c.rewriter && text.find("\r\n\r\n") != std::string::npos) {
        const std::string head = text.substr(0, text.find("\r\n\r\n"));
        std::string lower;
        for (const char ch : head) lower.push_back(static_cast<char>(std::tolower(ch)));
        if (lower.find("upgrade: websocket") != std::string::npos) c.asked_upgrade = true;
      }
      if (!c.socket.is_open() || c.ended) {
        print(s.conn, "..",
              "send skipped (connection closed): " + WireLog::summarize_text(text, 200));
        return;
      }
      std::string bytes = expand(s.pieces, target_.fill);
      if (c.rewriter) bytes = c.rewriter->rewrite(bytes);
      print(s.conn, "->",
            std::to_string(bytes.size()) +
                " bytes: " + WireLog::summarize_text(text, c.rewriter ? 200 : 600));
      if (c.socket.send_all(bytes, op) != IoStatus::Ok) {
        print(s.conn, "..", "send failed: " + c.socket.error());
      }
      return;
    }
    case StepKind::Recv:
      // The suite read an answer here before going on: wait for one, so that what it sent
      // next does not overtake it.
      pump_until(std::min(deadline_, deadline_in(options_.max_pause)), false, [&c, &s] {
        const std::uint64_t got = c.received - c.waited;
        return got >= static_cast<std::uint64_t>(s.received) || c.ended || !c.socket.is_open() ||
               (got > 0 && Clock::now() - c.last_arrival >= kQuiet);
      });
      c.waited = c.received;
      return;
    case StepKind::Shutdown:
      print(s.conn, "->", "shutdown (FIN)");
      c.socket.shutdown_write();
      return;
    case StepKind::Abort:
      print(s.conn, "->", "abort (RST)");
      c.socket.abort();
      c.ended = true;
      return;
    case StepKind::Close:
      if (c.socket.is_open() && !c.ended) {
        // What has already arrived is shown before the socket goes.
        if (c.socket.readable_now()) read_from(s.conn, c);
        if (c.socket.is_open() && !c.ended) print(s.conn, "->", "close");
      }
      c.socket.close();
      c.ended = true;
      return;
  }
}

PlayResult Player::run(const Script& script) {
  PlayResult result;
  long long previous = 0;
  Deadline when = start_;
  for (const Step& s : script.steps) {
    const long long gap = std::max<long long>(0, s.at_ms - previous);
    previous = std::max(previous, s.at_ms);
    when += std::min(milliseconds(gap), options_.max_pause);
    if (when > deadline_ || Clock::now() >= deadline_) {
      result.error = "stopped after --timeout " + std::to_string(options_.timeout.count()) + " ms";
      return result;
    }
    pump_until(when);
    step(s, result);
    if (!result.error.empty()) return result;
  }
  const Deadline linger_end = std::min(deadline_, deadline_in(options_.linger));
  pump_until(linger_end, true);
  result.completed = true;
  return result;
}

}  // namespace

PlayResult play(const Script& script, const PlayTarget& target, const PlayOptions& options,
                std::FILE* out) {
  Player player(target, options, out);
  return player.run(script);
}

}  // namespace flake::conform::repro
