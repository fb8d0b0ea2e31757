// Reading SSE events as notifications (see sse_notifications.hpp).
#include "conformance/cases/sse_notifications.hpp"

#include "conformance/cases/case_util.hpp"
#include "conformance/cases/rest_case_util.hpp"

namespace flake::conform {

SseNotifications::SseNotifications(CaseContext& ctx, std::string path) : path_(std::move(path)) {
  stream_ = rest::open_sse(ctx, rest::with_bearer(ctx, rest::get(path_)), 200);
}

std::optional<json> SseNotifications::next(Deadline deadline) {
  for (;;) {
    std::optional<SseEvent> e = stream_->next(deadline);
    if (!e) return std::nullopt;
    if (e->comment_only || e->event == "message") continue;  // heartbeats, the retry: block
    json params = json::parse(e->data, nullptr, false);
    require(params.is_object(), "event " + e->event + ": data: a JSON object on one line",
            WireLog::summarize_text(e->data, 200));
    require(e->id.has_value() && std::to_string(params.value("seq", std::int64_t{-1})) == *e->id,
            "event " + e->event + ": data's seq equal to the event id",
            "id " + e->id.value_or("none") + ", data " + WireLog::summarize_text(e->data, 200));
    return json{{"method", e->event}, {"params", std::move(params)}};
  }
}

}  // namespace flake::conform
