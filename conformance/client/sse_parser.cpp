// SseParser (see sse_parser.hpp). Works a byte at a time so that a BOM, a CRLF or any line can be
// split across reads and still give the same blocks as one read.
#include "conformance/client/sse_parser.hpp"

#include <limits>

namespace flake::conform {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}

void SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  for (const char ch : bytes) {
    if (!bom_done_) {
      // The BOM is stripped once, only at the very start; a partial match is replayed as text.
      if (ch == kBom[bom_matched_]) {
        if (++bom_matched_ == kBom.size()) bom_done_ = true;
        continue;
      }
      bom_done_ = true;
      const std::size_t matched = bom_matched_;
      bom_matched_ = 0;
      for (std::size_t i = 0; i < matched; ++i) feed_char(kBom[i], out);
    }
    feed_char(ch, out);
  }
}

void SseParser::feed_char(char ch, std::vector<SseEvent>& out) {
  if (after_cr_) {
    after_cr_ = false;
    if (ch == '\n') return;  // the LF of a CRLF pair
  }
  if (ch == '\r') {
    after_cr_ = true;
    line(out);
  } else if (ch == '\n') {
    line(out);
  } else {
    line_ += ch;
  }
}

void SseParser::line(std::vector<SseEvent>& out) {
  std::string text;
  text.swap(line_);
  if (!text.empty()) {
    block_has_lines_ = true;
    if (text.starts_with(':')) return;  // comment
    block_has_fields_ = true;
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos) {
      field(text, "");
    } else {
      std::string_view value = std::string_view(text).substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      field(std::string_view(text).substr(0, colon), value);
    }
    return;
  }
  // An empty line dispatches the block.
  if (block_has_lines_) {
    SseEvent event;
    event.comment_only = !block_has_fields_;
    event.id = block_id_;
    event.last_event_id = last_event_id_;
    event.retry = block_retry_;
    event.dispatched = !data_.empty();
    if (event.dispatched) {
      event.data = data_.substr(0, data_.size() - 1);  // without the last LF
    }
    if (!event.comment_only) event.event = event_type_.empty() ? "message" : event_type_;
    out.push_back(std::move(event));
  }
  event_type_.clear();
  data_.clear();
  block_id_.reset();
  block_retry_.reset();
  block_has_lines_ = false;
  block_has_fields_ = false;
}

void SseParser::field(std::string_view name, std::string_view value) {
  if (name == "event") {
    event_type_ = value;
  } else if (name == "data") {
    data_.append(value);
    data_ += '\n';
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_event_id_ = value;
      block_id_ = std::string(value);
    }
  } else if (name == "retry") {
    if (value.empty()) return;
    long long ms = 0;
    for (const char ch : value) {
      if (ch < '0' || ch > '9') return;
      const int digit = ch - '0';
      ms = ms > (std::numeric_limits<long long>::max() - digit) / 10
               ? std::numeric_limits<long long>::max()
               : ms * 10 + digit;
    }
    reconnection_time_ = ms;
    block_retry_ = ms;
  }
}

}  // namespace flake::conform
