// PeerLog: a mutex-guarded, bounded event list and its one-line rendering.
#include "conformance/peer/peer_log.hpp"

#include "conformance/client/wire_log.hpp"

#include <cstdio>

namespace flake::conform::peer {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::Accept:
      return "accept";
    case EventKind::Refuse:
      return "refuse";
    case EventKind::Upgrade:
      return "upgrade-request";
    case EventKind::Upgraded:
      return "101";
    case EventKind::HandshakeFail:
      return "handshake-failed";
    case EventKind::FrameIn:
      return "frame<-";
    case EventKind::MessageIn:
      return "<-";
    case EventKind::PingIn:
      return "ping<-";
    case EventKind::PongIn:
      return "pong<-";
    case EventKind::CloseIn:
      return "close<-";
    case EventKind::Sent:
      return "->";
    case EventKind::PingOut:
      return "ping->";
    case EventKind::PongOut:
      return "pong->";
    case EventKind::CloseOut:
      return "close->";
    case EventKind::End:
      return "end";
    case EventKind::Finding:
      return "FINDING";
    case EventKind::Note:
      return "note";
  }
  return "?";
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

PeerLog::PeerLog(Clock::time_point start, std::size_t max_events, std::size_t max_bytes)
    : start_(start), max_(max_events), max_bytes_(max_bytes) {}

void PeerLog::add(PeerEvent event) {
  const std::size_t size = 64 + event.text.size() + event.payload.size() + event.size;
  std::lock_guard lock(mutex_);
  if (events_.size() >= max_ || bytes_ + size > max_bytes_) {
    ++dropped_;
    return;
  }
  bytes_ += size;
  events_.push_back(std::move(event));
}

void PeerLog::add(int conn, EventKind kind, std::string text) {
  PeerEvent e;
  e.at = Clock::now();
  e.conn = conn;
  e.kind = kind;
  e.text = std::move(text);
  add(std::move(e));
}

std::vector<PeerEvent> PeerLog::snapshot() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::size_t PeerLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::string PeerLog::format(const PeerEvent& e, Clock::time_point start) {
  char head[64];
  std::snprintf(head, sizeof head, "+%.1fms c%d ", ms_between(start, e.at), e.conn);
  std::string line = head;
  line += to_string(e.kind);
  std::string body = e.text;
  switch (e.kind) {
    case EventKind::FrameIn:
      body = "opcode " + std::to_string(e.opcode) + (e.masked ? " masked" : " UNMASKED") +
             (e.text.empty() ? "" : " " + e.text);
      break;
    case EventKind::MessageIn:
    case EventKind::Sent:
      if (!e.message.is_discarded() && !e.message.is_null()) {
        body =
            std::string(e.binary ? "[msgpack] " : "") +
            WireLog::summarize_text(e.message.dump(-1, ' ', false, json::error_handler_t::replace));
        if (!e.text.empty()) body += " (" + e.text + ")";
      }
      break;
    case EventKind::PingIn:
    case EventKind::PongIn:
    case EventKind::PingOut:
    case EventKind::PongOut:
      body = "payload \"" + WireLog::summarize_text(e.payload, 125) + "\"" +
             (e.text.empty() ? "" : " " + e.text);
      break;
    case EventKind::CloseIn:
    case EventKind::CloseOut:
      body = (e.code != 0 ? "code " + std::to_string(e.code) : std::string("no code")) +
             (e.text.empty() ? "" : " " + e.text);
      break;
    default:
      break;
  }
  if (!body.empty()) line += " " + body;
  return line;
}

std::vector<std::string> PeerLog::lines() const {
  std::vector<std::string> out;
  std::lock_guard lock(mutex_);
  out.reserve(events_.size() + 1);
  for (const auto& e : events_) out.push_back(format(e, start_));
  if (dropped_ > 0) out.push_back("(" + std::to_string(dropped_) + " more events not kept)");
  return out;
}

}  // namespace flake::conform::peer
