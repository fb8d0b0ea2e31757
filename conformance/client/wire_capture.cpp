// WireCapture: connection numbering by descriptor, the switch to frame mode after an upgrade
// request, and the checks that keep the token out of reach of anything but a placeholder.
#include "conformance/client/wire_capture.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>

namespace flake::conform {
namespace {

std::atomic<WireCapture*> g_active{nullptr};

std::size_t count_of(std::string_view text, std::string_view what) {
  if (what.empty()) return 0;
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

bool asks_for_websocket(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("upgrade: websocket") != std::string::npos ||
         lower.find("upgrade:websocket") != std::string::npos;
}

constexpr std::size_t kMaxHead = 65536;

}  // namespace

WireCapture* active_capture() {
  return g_active.load(std::memory_order_relaxed);
}

void set_active_capture(WireCapture* capture) {
  g_active.store(capture, std::memory_order_relaxed);
}

WireCapture::WireCapture(std::string secret, std::size_t max_bytes)
    : secret_(std::move(secret)), max_bytes_(max_bytes), start_(std::chrono::steady_clock::now()) {}

long long WireCapture::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start_)
      .count();
}

bool WireCapture::push(CaptureKind kind, int conn, std::string bytes) {
  bytes_ += bytes.size();
  if (bytes_ > max_bytes_) {
    set_problem("the case wrote more than " + std::to_string(max_bytes_ >> 20) + " MiB");
    return false;
  }
  events_.push_back({kind, conn, now_ms(), std::move(bytes)});
  return true;
}

void WireCapture::set_problem(std::string why) {
  if (problem_.empty()) problem_ = std::move(why);
}

void WireCapture::on_connect(int fd, std::string_view host, std::uint16_t port) {
  std::lock_guard lock(mutex_);
  Conn& c = open_[fd];
  c = Conn{};
  c.no = next_no_++;
  push(CaptureKind::Connect, c.no, std::string(host) + ":" + std::to_string(port));
}

void WireCapture::on_frame(Conn& c, std::uint8_t opcode, bool fin, std::string_view payload) {
  if ((opcode & 0x8) != 0) return;  // control frames are never fragmented
  if (opcode != 0) {
    c.message.clear();
    c.frame_hits = 0;
  }
  c.message.append(payload);
  c.frame_hits += count_of(payload, secret_);
  if (!fin) return;
  // A token that only shows once the fragments are joined would stay in the file, split by
  // frame headers where no placeholder replaces it.
  if (count_of(c.message, secret_) != c.frame_hits) {
    set_problem("the token is split over the fragments of a message");
  }
  c.message.clear();
  c.frame_hits = 0;
}

void WireCapture::on_send(int fd, std::string_view bytes) {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(fd);
  if (it == open_.end() || bytes.empty()) return;
  // Once the capture cannot become a reproducer, keep its cost off the case (PERF sends GiBs).
  if (!problem_.empty()) return;
  Conn& c = it->second;
  if (!c.frames && c.head.size() < kMaxHead) {
    const std::size_t before = c.head.size();
    c.head.append(bytes.substr(0, kMaxHead - before));
    const std::size_t end = c.head.find("\r\n\r\n");
    if (end == std::string::npos || !asks_for_websocket(c.head.substr(0, end))) {
      push(CaptureKind::Send, c.no, std::string(bytes));
      return;
    }
    // The request head ends in this write: what follows it is frames.
    const std::size_t split = end + 4 - before;
    push(CaptureKind::Send, c.no, std::string(bytes.substr(0, split)));
    c.frames = true;
    c.rewriter = std::make_unique<MaskRewriter>(
        [] { return MaskKey{}; },
        [this, &c](std::uint8_t op, bool fin, std::string_view p) { on_frame(c, op, fin, p); });
    push(CaptureKind::Frames, c.no, {});
    bytes.remove_prefix(split);
    if (bytes.empty()) return;
  }
  if (c.rewriter) {
    push(CaptureKind::Send, c.no, c.rewriter->rewrite(bytes));
  } else {
    push(CaptureKind::Send, c.no, std::string(bytes));
  }
}

void WireCapture::on_shutdown_write(int fd) {
  std::lock_guard lock(mutex_);
  if (const auto it = open_.find(fd); it != open_.end()) {
    push(CaptureKind::ShutdownWrite, it->second.no, {});
  }
}

void WireCapture::on_abort(int fd) {
  std::lock_guard lock(mutex_);
  if (const auto it = open_.find(fd); it != open_.end()) {
    push(CaptureKind::Abort, it->second.no, {});
    open_.erase(it);
  }
}

void WireCapture::on_close(int fd) {
  std::lock_guard lock(mutex_);
  if (const auto it = open_.find(fd); it != open_.end()) {
    push(CaptureKind::Close, it->second.no, {});
    open_.erase(it);
  }
}

void WireCapture::on_recv(int fd, std::size_t bytes) {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(fd);
  if (it == open_.end()) return;
  if (!events_.empty() && events_.back().kind == CaptureKind::Recv &&
      events_.back().conn == it->second.no) {
    events_.back().received += bytes;
    return;
  }
  if (push(CaptureKind::Recv, it->second.no, {})) events_.back().received = bytes;
}

void WireCapture::on_compressed_plaintext(std::string_view plaintext) {
  std::lock_guard lock(mutex_);
  if (!secret_.empty() && plaintext.find(secret_) != std::string_view::npos) {
    set_problem("a compressed message carried the token, which no placeholder can replace there");
  }
}

std::vector<CaptureEvent> WireCapture::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::string WireCapture::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

}  // namespace flake::conform
