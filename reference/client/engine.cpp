// The I/O thread's outer loop: attempts and their delays (§7.7), one connection's poll loop, frame
// writing, and what happens when a connection ends. JSON-RPC is in engine_rpc.cpp.
#include "reference/client/engine.hpp"

#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "reference/client/base64.hpp"

namespace flake::client {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

int poll_timeout_ms(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, 1000));
}

std::array<uint8_t, 4> random_key() {
  std::array<uint8_t, 4> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    // RAND_bytes does not fail on a seeded Linux RNG; a fixed key still masks correctly.
    key = {0x5a, 0xa5, 0x3c, 0xc3};
  }
  return key;
}

}  // namespace

Engine::Engine(ClientConfig config, ClientBehaviour behaviour, EventHandler on_event)
    : config_(std::move(config)),
      behaviour_(behaviour),
      on_event_(std::move(on_event)),
      backoff_{config_.backoff_base, 5, 0.2, behaviour_.doubles_backoff(), behaviour_.gives_up()},
      url_(parse_ws_url(config_.url)),
      rng_(std::random_device{}()),
      breakers_(BreakerPolicy{5, config_.breaker_open, behaviour_.has_breaker(),
                              behaviour_.breaker_half_opens(), behaviour_.result_resets_breaker()},
                behaviour_.breaker_per_service()) {}

void Engine::emit(Event e) const {
  if (!on_event_) return;
  // The handler is the caller's code; an exception from it must not unwind the I/O thread.
  try {
    on_event_(e);
  } catch (...) {
  }
}

void Engine::submit(Job job) {
  {
    std::lock_guard lock(mu_);
    if (!stop_requested_ && !gave_up_.load() && queued_.load() < config_.max_queued_calls) {
      ++queued_;
      inbox_.push_back(std::move(job));
      wake_.notify();
      return;
    }
  }
  // Refused: the client is stopping, gave up, or too much is queued.
  std::vector<CallResult> results;
  for (const CallRequest& r : job.requests) results.push_back(CallResult{r.method});
  if (job.kind == Job::Kind::kBatch) {
    job.many.set_value(std::move(results));
  } else if (job.kind == Job::Kind::kLarge) {
    LargeResult lr;
    lr.reason = "client not connected";
    job.large.set_value(std::move(lr));
  } else {
    job.one.set_value(std::move(results.front()));
  }
}

void Engine::request_stop() {
  std::lock_guard lock(mu_);
  stop_requested_ = true;
  wake_.notify();
}

bool Engine::absorb_inbox() {
  wake_.drain();
  std::lock_guard lock(mu_);
  while (!inbox_.empty()) {
    waiting_.push_back(std::move(inbox_.front()));
    inbox_.pop_front();
  }
  return !stop_requested_;
}

bool Engine::wait_until(Clock::time_point t) {
  while (true) {
    if (!absorb_inbox()) return false;
    if (gave_up_.load()) fail_everything();
    if (Clock::now() >= t) return true;
    pollfd p{wake_.fd(), POLLIN, 0};
    ::poll(&p, 1, poll_timeout_ms(t));
  }
}

void Engine::run() {
  if (!url_) {
    give_up();
  }
  while (true) {
    if (gave_up_.load()) {
      if (!wait_until(Clock::now() + std::chrono::hours(1))) break;
      continue;
    }
    if (!wait_until(next_attempt_at_)) break;
    AttemptResult a = open_connection();
    if (!a.ok) {
      if (!absorb_inbox()) break;
      on_attempt_failed(Clock::now(), a.retry_after);
      continue;
    }
    emit(Event{EventKind::kConnected});
    start_authentication();
    const End end = pump(a.leftover);
    after_connection(end);
    if (end == End::kStopped) break;
  }
  fail_everything();
}

Engine::AttemptResult Engine::open_connection() {
  AttemptResult r;
  const Clock::time_point deadline = Clock::now() + config_.call_timeout;
  std::string error;
  sock_ = start_connect(url_->host, url_->port, error);
  if (!sock_) return r;
  // Wait for connect, then send the request, then read the head; all bounded by `deadline`.
  std::array<uint8_t, 16> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  const std::string key =
      base64_encode(std::string_view(reinterpret_cast<const char*>(nonce.data()), nonce.size()));
  std::string request = upgrade_request(*url_, key, config_.offer_deflate);
  bool connected = false;
  size_t sent = 0;
  ResponseHeadParser parser;
  while (Clock::now() < deadline) {
    pollfd p[2] = {{sock_.get(), short(sent < request.size() ? POLLOUT : POLLIN), 0},
                   {wake_.fd(), POLLIN, 0}};
    ::poll(p, 2, poll_timeout_ms(deadline));
    if (p[1].revents != 0 && !absorb_inbox()) break;
    if (p[0].revents == 0) continue;
    if (!connected) {
      if (connect_status(sock_.get()) != 0) break;
      connected = true;
    }
    if (sent < request.size()) {
      const ssize_t n =
          ::send(sock_.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      if (n > 0) sent += size_t(n);
      continue;
    }
    char buf[4096];
    const ssize_t n = ::recv(sock_.get(), buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    if (n < 0) continue;
    const auto state = parser.feed(std::string_view(buf, size_t(n)));
    if (state == ResponseHeadParser::State::kError) break;
    if (state == ResponseHeadParser::State::kNeedMore) continue;
    HandshakeOutcome h = check_response(parser.head(), key, config_.offer_deflate);
    if (!h.upgraded) {
      r.retry_after = h.retry_after;
      break;
    }
    r.ok = true;
    r.leftover = std::string(parser.rest());
    reader_ = std::make_unique<MessageReader>(h.deflate, config_.max_message_bytes, behaviour_);
    outbuf_.clear();
    phase_ = Phase::kAuthenticating;
    authenticated_here_ = false;
    close_sent_ = false;
    gap_seen_ = false;
    abandon_at_.reset();
    close_code_.reset();
    send_gate_ = Clock::time_point{};
    return r;
  }
  sock_.reset();
  return r;
}

void Engine::send_frame(Opcode op, std::string_view payload) {
  if (!sock_ || close_sent_) return;
  outbuf_ += encode_frame(op, true, payload, behaviour_.masks_frames(), random_key());
  if (op == Opcode::kClose) close_sent_ = true;
  flush();
}

bool Engine::flush() {
  while (!outbuf_.empty()) {
    const ssize_t n = ::send(sock_.get(), outbuf_.data(), outbuf_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      outbuf_.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return false;
  }
  return true;
}

Clock::time_point Engine::next_deadline() const {
  Clock::time_point t = Clock::now() + std::chrono::seconds(1);
  for (const auto& [id, p] : pending_) t = std::min(t, p.deadline);
  for (const auto& [id, s] : streams_) t = std::min(t, s.deadline);
  if (abandon_at_) t = std::min(t, *abandon_at_);
  if (phase_ == Phase::kReady && !waiting_.empty()) t = std::min(t, send_gate_);
  return t;
}

std::optional<Engine::End> Engine::process(std::span<const uint8_t> bytes) {
  std::vector<Incoming> items;
  reader_->feed(bytes, items);
  for (Incoming& in : items) {
    switch (in.kind) {
      case Incoming::Kind::kText:
      case Incoming::Kind::kBinary:
        if (!gap_seen_) handle_message(in.kind, in.payload);
        break;
      case Incoming::Kind::kPing:
        // §7.6: at once, with the ping's payload.
        if (behaviour_.answers_pings())
          send_frame(Opcode::kPong, behaviour_.echoes_ping_payload() ? in.payload : "");
        break;
      case Incoming::Kind::kPong:
        break;  // §2.5: unsolicited pongs are ignored
      case Incoming::Kind::kClose:
        close_code_ = in.code;
        // Echo the code (RFC 6455 §5.5.1); the server then closes TCP, we do not wait for it.
        send_frame(Opcode::kClose, close_payload(in.code.value_or(0)));
        return End::kClosed;
      case Incoming::Kind::kFail:
        close_connection(in.code.value_or(1002));
        return End::kFailed;
    }
  }
  return std::nullopt;
}

Engine::End Engine::pump(std::string_view first_bytes) {
  if (auto end = process(
          std::span(reinterpret_cast<const uint8_t*>(first_bytes.data()), first_bytes.size())))
    return *end;
  std::vector<uint8_t> buf(kReadChunk);
  while (true) {
    if (!absorb_inbox()) {
      close_connection(1000);
      return End::kStopped;
    }
    const Clock::time_point now = Clock::now();
    if (phase_ == Phase::kReady) dispatch_waiting(now);
    check_timeouts(now);
    if (gap_seen_) {
      // §6.2: end the connection that showed the jump, then resume on a new one.
      close_connection(1000);
      return End::kGap;
    }
    if (abandon_at_ && now >= *abandon_at_) {
      close_connection(1000);
      return End::kAbandoned;
    }
    pollfd p[2] = {{sock_.get(), short(POLLIN | (outbuf_.empty() ? 0 : POLLOUT)), 0},
                   {wake_.fd(), POLLIN, 0}};
    ::poll(p, 2, poll_timeout_ms(next_deadline()));
    if ((p[0].revents & POLLOUT) != 0 && !flush()) return End::kEof;
    // A server that stops reading cannot be served; do not buffer for it without bound.
    if (outbuf_.size() > config_.max_message_bytes) return End::kEof;
    if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return End::kEof;
    if (auto end = process(std::span<const uint8_t>(buf.data(), size_t(n)))) return *end;
  }
}

void Engine::close_connection(uint16_t code) {
  send_frame(Opcode::kClose, close_payload(code));
}

void Engine::after_connection(End end) {
  flush();
  sock_.reset();
  reader_.reset();
  outbuf_.clear();
  Reply transport;  // Outcome::kTransport
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) p.done(transport);
  batches_.clear();
  for (auto& [id, s] : streams_) {
    LargeResult lr = s.assembly.finish();
    lr.verified = false;
    lr.entries.reset();
    lr.reason = "connection ended";
    s.promise.set_value(std::move(lr));
  }
  streams_.clear();

  Event ev{EventKind::kDisconnected};
  if (end == End::kClosed) ev.code = close_code_;
  emit(ev);
  if (end == End::kStopped) return;

  const Clock::time_point ended = Clock::now();
  if (close_code_ == 4401 && behaviour_.stops_after_4401()) {
    // §7.7: the token is wrong; reconnecting cannot help.
    give_up();
    return;
  }
  if (!authenticated_here_) {
    on_attempt_failed(ended, std::nullopt);
    return;
  }
  if (end == End::kGap) {
    next_attempt_at_ = ended;  // §6.2: resume within 1 s, no back-off
    delays_waited_ = 0;
    resume_for_gap_ = true;
    return;
  }
  // An unexpected disconnect (§7.7).
  resume_for_gap_ = false;
  if (!behaviour_.reconnects()) {
    give_up();
    return;
  }
  delays_waited_ = 0;
  next_attempt_at_ = ended + jittered_delay(backoff_, ++delays_waited_,
                                            std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
}

void Engine::on_attempt_failed(Clock::time_point ended,
                               std::optional<std::chrono::seconds> retry_after) {
  ++failed_in_a_row_;
  if (should_give_up(backoff_, failed_in_a_row_)) {
    give_up();
    return;
  }
  next_attempt_at_ = ended + jittered_delay(backoff_, ++delays_waited_,
                                            std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
  // §7.7: not before the server's Retry-After, nor before our own delay.
  if (retry_after && behaviour_.honours_retry_after())
    next_attempt_at_ = std::max(next_attempt_at_, ended + *retry_after);
}

void Engine::give_up() {
  if (gave_up_.exchange(true)) return;
  emit(Event{EventKind::kGaveUp});
  fail_everything();
}

void Engine::fail_everything() {
  {
    std::lock_guard lock(mu_);
    while (!inbox_.empty()) {
      waiting_.push_back(std::move(inbox_.front()));
      inbox_.pop_front();
    }
  }
  for (Job& job : waiting_) {
    std::vector<CallResult> results;
    for (const CallRequest& r : job.requests) results.push_back(CallResult{r.method});
    switch (job.kind) {
      case Job::Kind::kBatch:
        job.many.set_value(std::move(results));
        break;
      case Job::Kind::kLarge: {
        LargeResult lr;
        lr.reason = "client not connected";
        job.large.set_value(std::move(lr));
        break;
      }
      default:
        job.one.set_value(std::move(results.front()));
    }
  }
  queued_ -= waiting_.size();
  waiting_.clear();
}

}  // namespace flake::client
