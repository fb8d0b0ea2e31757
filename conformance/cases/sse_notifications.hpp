// The SSE cell of a notification rule (docs/protocol.md §9.12): the stream that carries the same
// notifications as a subscription, read as {"method","params"} values so that one check serves
// both the socket cells and this one.
#pragma once

#include "conformance/client/sse_client.hpp"
#include "conformance/harness/case_context.hpp"

#include <memory>
#include <optional>
#include <string>

namespace flake::conform {

class SseNotifications {
 public:
  // Opens `path` with the Bearer token and reads up to the retry: line; the case fails (or is
  // unimplemented on 404) otherwise.
  SseNotifications(CaseContext& ctx, std::string path);
  // The next event as {"method":<event>,"params":<data>}, skipping comments and the retry block;
  // the case fails when an event's data is not a JSON object or its seq differs from its id
  // (§9.12). nullopt at the deadline or the end of the stream.
  std::optional<json> next(Deadline deadline);
  // What "subscription" holds on this stream: its path (§9.12).
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<SseStream> stream_;
};

}  // namespace flake::conform
