// SseStream: HTTP head, optional chunked coding; the event stream itself goes through SseParser.
#include "conformance/client/sse_client.hpp"

namespace flake::conform {

HttpResponse SseStream::open(const Url& server, const HttpRequest& request, Deadline deadline,
                             WireLog* log, int conn_no) {
  log_ = log;
  conn_no_ = conn_no;
  HttpResponse response;
  if (!socket_.connect(server.host, server.port, deadline, request.tls)) {
    response.error = socket_.error();
    return response;
  }
  if (const TlsInfo* tls = socket_.tls_info()) response.tls = *tls;
  std::string wire = request.method + " " + request.path + " HTTP/1.1\r\n";
  if (!request.omit_host) wire += "Host: " + request.host.value_or(server.authority) + "\r\n";
  for (const auto& [name, value] : request.headers) wire += name + ": " + value + "\r\n";
  wire += "Accept: text/event-stream\r\n\r\n";
  if (log_) log_->add(conn_no_, "->", "HTTP " + WireLog::summarize_text(wire, 600));
  if (socket_.send_all(wire, deadline) != IoStatus::Ok) {
    response.error = "send failed";
    return response;
  }
  raw_.clear();
  HeadRead read = read_response_head(socket_, raw_, deadline);
  if (read.status != HeadRead::Status::Ok) {
    response.error = read.status == HeadRead::Status::Timeout ? "no response head in time"
                     : read.status == HeadRead::Status::Closed
                         ? "connection ended before a response head"
                         : read.error;
    return response;
  }
  response.head = std::move(read.head);
  response.status = response.head.status;
  response.complete = true;
  if (log_) {
    log_->add(conn_no_, "<-", "HTTP " + WireLog::summarize_text(head_summary(response.head), 600));
  }
  const auto coding = response.head.combined("transfer-encoding");
  chunked_ = coding && header_has_token(*coding, "chunked");
  decode();
  if (response.status != 200) {
    // Error bodies are small: read what arrives for a moment.
    const Deadline until = std::min(deadline, deadline_in(std::chrono::milliseconds(500)));
    while (pump(until)) {
    }
    response.body = text_;
  }
  return response;
}

bool SseStream::pump(Deadline deadline) {
  if (ended_) return false;
  char buf[16384];
  const RecvResult r = socket_.recv_some(buf, sizeof buf, deadline);
  if (r.status == IoStatus::Timeout) return false;
  if (r.status != IoStatus::Ok) {
    ended_ = true;
    return false;
  }
  raw_.append(buf, r.bytes);
  return decode();
}

bool SseStream::decode() {
  if (!chunked_) {
    text_ = raw_;
    return true;
  }
  bool done = false;
  std::string decoded;
  if (!decode_chunked(raw_, decoded, done)) {
    ended_ = true;
    return false;
  }
  text_ = std::move(decoded);
  if (done) ended_ = true;
  return true;
}

std::optional<SseEvent> SseStream::next(Deadline deadline) {
  for (;;) {
    if (fed_ < text_.size()) {
      std::vector<SseEvent> parsed;
      parser_.feed(std::string_view(text_).substr(fed_), parsed);
      fed_ = text_.size();
      pending_.insert(pending_.end(), std::make_move_iterator(parsed.begin()),
                      std::make_move_iterator(parsed.end()));
    }
    if (!pending_.empty()) {
      SseEvent event = std::move(pending_.front());
      pending_.pop_front();
      if (log_) {
        log_->add(
            conn_no_, "<-",
            "SSE " + (event.comment_only ? std::string("comment")
                                         : event.event + " id=" + event.id.value_or("-") + " " +
                                               WireLog::summarize_text(event.data, 200)));
      }
      return event;
    }
    if (!pump(deadline)) return std::nullopt;
  }
}

}  // namespace flake::conform
