// The connection's receive buffer is one contiguous block that frames are parsed from in place;
// it grows only for a frame larger than itself (getLarge chunks are up to 1 MiB + envelope).
// Over TLS the same buffers hold the plain bytes; TcpSocket's TLS session encrypts and decrypts.
#include "bench/load/bench_conn.hpp"

#include "conformance/client/ws_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flake::bench {
namespace {

constexpr std::size_t kReadChunk = 256 * 1024;
// The largest TLS record's plain text: one read_step never returns more.
constexpr std::size_t kTlsRecord = 16 * 1024;
// A TLS write that cannot proceed waits this long. The runs bound what is in flight (a window of
// requests, one request per stream), so the sidecar always drains and this is never reached.
constexpr auto kTlsSendWait = std::chrono::seconds(10);

int ms_until(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count() + 1, 60000));
}

}  // namespace

bool BenchConn::open(const conform::Url& url, Deadline deadline, std::string& error) {
  conform::WsClient ws;
  conform::ConnectOptions options;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (options.timeout.count() <= 0) options.timeout = std::chrono::milliseconds(1);
  // The scheme decides: a ws:// target (the floor, a --tls run's plain start) is never TLS.
  if (!url.tls()) options.tls.use = conform::TlsConnect::Use::kPlain;
  const conform::ConnectResult r = ws.connect(url, options);
  if (!r.upgraded) {
    error = "WebSocket upgrade failed: " +
            (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error);
    return false;
  }
  socket_ = std::move(ws.socket());  // the WsClient destructor then has nothing to close
  in_.resize(kReadChunk * 2);
  return true;
}

bool BenchConn::authenticate(std::string_view token, Deadline deadline, std::string& error) {
  std::string params = "{\"token\":\"";
  params.append(token);
  params.append("\",\"clientInfo\":{\"version\":\"flake-bench\",\"platform\":\"linux\"}}");
  const auto answer = call("auth.authenticate", params, deadline, error);
  if (!answer) return false;
  if (answer->find("\"result\"") == std::string::npos) {
    error = "auth.authenticate failed: " + answer->substr(0, 200);
    return false;
  }
  return true;
}

std::optional<std::string> BenchConn::call(std::string_view method, std::string_view params_json,
                                           Deadline deadline, std::string& error,
                                           const std::function<void(const WireFrame&)>& on_other) {
  const std::int64_t id = next_id();
  std::string request = "{\"jsonrpc\":\"2.0\",\"method\":\"";
  request.append(method).append("\"");
  if (!params_json.empty()) request.append(",\"params\":").append(params_json);
  request.append(",\"id\":").append(std::to_string(id)).append("}");
  queue_text(request);
  if (!flush_all(deadline)) {
    error = "sending " + std::string(method) + ": " + error_;
    return std::nullopt;
  }
  std::optional<std::string> answer;
  const auto handler = [&](const WireFrame& f) {
    if (!answer && f.opcode == 1 && is_answer_to(f.payload, id)) {
      answer = std::string(f.payload);
    } else if (on_other) {
      on_other(f);
    }
  };
  while (!answer) {
    if (!wait_readable(deadline)) {
      error = "no answer to " + std::string(method) + " before the deadline";
      return std::nullopt;
    }
    if (!read_frames(handler)) {
      error = std::string(method) + ": " + error_;
      return std::nullopt;
    }
  }
  return answer;
}

bool BenchConn::is_answer_to(std::string_view payload, std::int64_t id) {
  // A notification carries "method"; an answer to us starts with our envelope's keys.
  return payload.find("\"method\"") == std::string_view::npos && scan_id(payload) == id;
}

bool BenchConn::flush() {
  if (tls() && want_write()) {
    const std::string_view rest(out_.data() + out_pos_, out_.size() - out_pos_);
    if (socket_.send_all(rest, Clock::now() + kTlsSendWait) != conform::IoStatus::Ok) {
      error_ = "TLS send: " + (socket_.error().empty() ? "no progress" : socket_.error());
      return false;
    }
    out_pos_ = out_.size();
  }
  while (out_pos_ < out_.size()) {
    const ssize_t n =
        ::send(socket_.fd(), out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    error_ = std::string("send: ") + std::strerror(errno);
    return false;
  }
  out_.clear();
  out_pos_ = 0;
  return true;
}

bool BenchConn::flush_all(Deadline deadline) {
  while (true) {
    if (!flush()) return false;
    if (!want_write()) return true;
    pollfd p{socket_.fd(), POLLOUT, 0};
    if (::poll(&p, 1, ms_until(deadline)) <= 0 && Clock::now() >= deadline) {
      error_ = "send deadline passed";
      return false;
    }
  }
}

bool BenchConn::wait_readable(Deadline deadline) {
  if (in_end_ > in_pos_) return true;  // a partial frame may complete with the next read
  if (tls() && socket_.readable_now()) return true;  // bytes inside OpenSSL poll(2) cannot see
  pollfd p{socket_.fd(), POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, ms_until(deadline));
    if (r > 0) return true;
    if (r < 0 && errno == EINTR) continue;
    return false;
  }
}

bool BenchConn::read_plain() {
  const ssize_t n = ::recv(socket_.fd(), in_.data() + in_end_, in_.size() - in_end_, 0);
  if (n == 0) {
    error_ = "connection closed by the server";
    return false;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
    error_ = std::string("recv: ") + std::strerror(errno);
    return false;
  }
  in_end_ += static_cast<std::size_t>(n);
  return true;
}

// One record per read_step: read until OpenSSL wants more from the socket, so that nothing
// decrypted is left where poll(2) cannot see it, or until the buffer has no room for a record.
bool BenchConn::read_tls() {
  while (in_.size() - in_end_ >= kTlsRecord) {
    const conform::RecvResult r =
        socket_.recv_some(in_.data() + in_end_, in_.size() - in_end_, Clock::now());
    if (r.status == conform::IoStatus::Ok) {
      in_end_ += r.bytes;
      continue;
    }
    if (r.status == conform::IoStatus::Timeout) return true;
    error_ = r.status == conform::IoStatus::Eof ? "connection closed by the server"
                                                : "TLS recv: " + r.error;
    return false;
  }
  return true;
}

bool BenchConn::read_frames(const std::function<void(const WireFrame&)>& on_frame) {
  if (in_pos_ == in_end_) {
    in_pos_ = in_end_ = 0;
  } else if (in_.size() - in_end_ < kReadChunk) {
    // Move the partial frame to the front, growing the buffer if one frame needs more room.
    std::memmove(in_.data(), in_.data() + in_pos_, in_end_ - in_pos_);
    in_end_ -= in_pos_;
    in_pos_ = 0;
    if (in_.size() - in_end_ < kReadChunk) in_.resize(in_.size() * 2);
  }
  if (tls()) {
    if (!read_tls()) return false;
  } else if (!read_plain()) {
    return false;
  }
  while (in_pos_ < in_end_) {
    bool bad = false;
    const auto frame = next_frame(in_.data() + in_pos_, in_end_ - in_pos_, bad);
    if (bad) {
      error_ = "a frame larger than 1 GiB";
      return false;
    }
    if (!frame) break;
    in_pos_ += frame->size;
    if (frame->opcode == 0x8) {
      error_ = "the server closed the WebSocket";
      return false;
    }
    if (frame->opcode == 0x9) {  // ping: answer so the server keeps us
      std::string pong;
      append_client_frame(pong, 0xA, frame->payload);
      out_.append(pong);
      continue;
    }
    if ((frame->opcode == 1 || frame->opcode == 2) && frame->fin) {
      on_frame(*frame);
    } else if (frame->opcode == 1 || frame->opcode == 2 || frame->opcode == 0) {
      // A fragmented message: gathered, then delivered as one frame.
      if (frame->opcode != 0) {
        message_.clear();
        message_opcode_ = frame->opcode;
      }
      message_.append(frame->payload);
      if (frame->fin) {
        WireFrame whole;
        whole.opcode = message_opcode_;
        whole.payload = message_;
        on_frame(whole);
      }
    }
  }
  return true;
}

}  // namespace flake::bench
