// Sessions and their registry. Sessions are heap-allocated individually so that the raw pointers
// held by connections stay valid while the map rehashes.
#include "reference/state/session.hpp"

#include <stdexcept>
#include <utility>

#include "reference/state/token.hpp"

namespace flake {

namespace {

constexpr size_t kSessionIdBytes = 16;  // 128 bits: unguessable, and 32 hex chars on the wire

}  // namespace

std::optional<int> parse_level(std::string_view name) {
  if (name == "debug") return kLevelDebug;
  if (name == "info") return kLevelInfo;
  if (name == "warn") return kLevelWarn;
  if (name == "error") return kLevelError;
  return std::nullopt;
}

const char* level_name(int level) {
  switch (level) {
    case kLevelDebug:
      return "debug";
    case kLevelInfo:
      return "info";
    case kLevelWarn:
      return "warn";
    case kLevelError:
      return "error";
    default:
      return "unknown";
  }
}

bool subscription_wants(const Subscription& sub, StreamKind kind, std::string_view service,
                        int level) {
  if (sub.kind != kind) return false;
  if (!sub.service.empty() && sub.service != service) return false;
  return kind != StreamKind::kLogs || level >= sub.min_level;
}

Session::Session(std::string session_id, size_t ring_items, size_t ring_bytes)
    : id(std::move(session_id)), ring(ring_items, ring_bytes) {}

std::string Session::add_subscription(StreamKind kind, std::string service, int min_level) {
  std::string sub_id = "sub-" + std::to_string(next_subscription++);
  subscriptions.insert_or_assign(sub_id, Subscription{sub_id, kind, std::move(service), min_level});
  return sub_id;
}

bool Session::remove_subscription(std::string_view sub_id) {
  auto it = subscriptions.find(std::string(sub_id));
  if (it == subscriptions.end()) return false;
  subscriptions.erase(it);
  return true;
}

SessionRegistry::SessionRegistry(size_t ring_items, size_t ring_bytes)
    : ring_items_(ring_items), ring_bytes_(ring_bytes) {}

Session& SessionRegistry::create() {
  for (;;) {
    std::string id = random_hex(kSessionIdBytes);
    if (id.empty()) throw std::runtime_error("cannot create a session id: the CSPRNG failed");
    if (sessions_.find(id) != sessions_.end())
      continue;  // 2^-128, but a collision must not merge sessions
    auto session = std::make_unique<Session>(id, ring_items_, ring_bytes_);
    Session& ref = *session;
    sessions_.emplace(std::move(id), std::move(session));
    return ref;
  }
}

Session* SessionRegistry::find(std::string_view id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void SessionRegistry::detach(Session& session, int64_t now_ms) {
  session.attached = false;
  session.detached_at_ms = now_ms;
}

void SessionRegistry::attach(Session& session) {
  session.attached = true;
  session.detached_at_ms = 0;
}

void SessionRegistry::erase(std::string_view id) {
  // Look up first: `id` may view the key of the very entry being destroyed.
  auto it = sessions_.find(id);
  if (it != sessions_.end()) sessions_.erase(it);
}

size_t SessionRegistry::expire(int64_t now_ms, int64_t grace_ms) {
  size_t erased = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Session& s = *it->second;
    if (!s.attached && now_ms - s.detached_at_ms > grace_ms) {
      it = sessions_.erase(it);
      ++erased;
    } else {
      ++it;
    }
  }
  return erased;
}

}  // namespace flake
