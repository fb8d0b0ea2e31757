// §13.4 event lines, written with cJSON so strings are escaped the way JSON wants.
#include "reference/client/events.hpp"

#include "reference/codec/json.hpp"

namespace flake::client {

std::string_view event_name(EventKind k) {
  switch (k) {
    case EventKind::kConnected:
      return "connected";
    case EventKind::kAuthenticated:
      return "authenticated";
    case EventKind::kSubscribed:
      return "subscribed";
    case EventKind::kNotification:
      return "notification";
    case EventKind::kGap:
      return "gap";
    case EventKind::kCall:
      return "call";
    case EventKind::kLarge:
      return "large";
    case EventKind::kDisconnected:
      return "disconnected";
    case EventKind::kResumed:
      return "resumed";
    case EventKind::kResumeFailed:
      return "resume_failed";
    case EventKind::kGaveUp:
      return "gave_up";
  }
  return "unknown";
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kResult:
      return "result";
    case Outcome::kError:
      return "error";
    case Outcome::kBreaker:
      return "breaker";
    case Outcome::kTransport:
      return "transport";
    case Outcome::kTimeout:
      return "timeout";
  }
  return "unknown";
}

std::string to_json_line(const Event& e) {
  JsonPtr o(cJSON_CreateObject());
  cJSON* obj = o.get();
  cJSON_AddStringToObject(obj, "event", std::string(event_name(e.kind)).c_str());
  auto str = [&](const char* key, const std::string& v) {
    cJSON_AddStringToObject(obj, key, v.c_str());
  };
  auto num = [&](const char* key, double v) { cJSON_AddNumberToObject(obj, key, v); };
  switch (e.kind) {
    case EventKind::kConnected:
    case EventKind::kGaveUp:
      break;
    case EventKind::kAuthenticated:
      str("sessionId", e.session_id);
      break;
    case EventKind::kSubscribed:
      str("method", e.method);
      str("subscription", e.subscription);
      break;
    case EventKind::kNotification:
      str("method", e.method);
      str("subscription", e.subscription);
      num("seq", static_cast<double>(e.seq));
      break;
    case EventKind::kGap:
      num("expected", static_cast<double>(e.expected));
      num("seq", static_cast<double>(e.seq));
      break;
    case EventKind::kCall:
      str("method", e.method);
      str("outcome", e.outcome);
      if (e.code) num("code", *e.code);
      break;
    case EventKind::kLarge:
      str("format", e.format);
      cJSON_AddBoolToObject(obj, "compressed", e.compressed);
      str("outcome", e.outcome);
      if (e.entries) num("entries", static_cast<double>(*e.entries));
      break;
    case EventKind::kDisconnected:
      if (e.code) num("code", *e.code);
      break;
    case EventKind::kResumed:
      num("replayed", static_cast<double>(e.replayed));
      break;
    case EventKind::kResumeFailed:
      if (e.code) num("code", *e.code);
      break;
  }
  return print_json(obj);
}

}  // namespace flake::client
