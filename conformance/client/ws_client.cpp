// WsClient: handshake, message assembly (fragments, control frames, deflate), and logging.
#include "conformance/client/ws_client.hpp"

#include "conformance/client/http_client.hpp"
#include "conformance/client/utf8.hpp"

#include <charconv>

namespace flake::conform {

std::string_view to_string(MessageKind kind) {
  switch (kind) {
    case MessageKind::Text:
      return "text";
    case MessageKind::Binary:
      return "binary";
    case MessageKind::Close:
      return "close";
    case MessageKind::Eof:
      return "eof";
    case MessageKind::Timeout:
      return "timeout";
    case MessageKind::Error:
      return "error";
  }
  return "?";
}

WsClient::~WsClient() {
  if (upgraded_ && socket_.is_open() && !eof_ && !close_sent_ && failed_.empty()) {
    send_timeout_ = std::chrono::milliseconds(100);
    send_close(1000, "");
  }
}

void WsClient::log(std::string_view dir, std::string_view text) {
  if (log_) log_->add(conn_no_, dir, text);
}

ConnectResult WsClient::connect(const Url& url, const ConnectOptions& options) {
  ConnectResult result;
  const Deadline deadline = deadline_in(options.timeout);
  send_timeout_ = options.timeout;
  auto_pong_ = options.auto_pong;
  max_message_bytes_ = options.max_message_bytes;
  if (!socket_.connect(url.host, url.port, deadline, options.tls)) {
    result.error = socket_.error();
    log("..", "connect failed: " + result.error);
    return result;
  }
  result.connected = true;
  if (const TlsInfo* tls = socket_.tls_info()) log("..", tls_summary(*tls));
  UpgradeRequest request;
  request.path = url.path;
  if (!options.omit_host) request.host = options.host_header.value_or(url.authority);
  request.origin = options.origin;
  request.subprotocols = options.subprotocols;
  request.extra_headers = options.headers;
  request.offer_deflate = options.offer_deflate;
  const std::string wire = build_upgrade_request(request);
  log("->", "HTTP " + WireLog::summarize_text(wire, 600));
  if (socket_.send_all(wire, deadline) != IoStatus::Ok) {
    result.error = "sending the upgrade request failed: " + socket_.error();
    return result;
  }
  rbuf_.clear();
  HeadRead read = read_response_head(socket_, rbuf_, deadline);
  switch (read.status) {
    case HeadRead::Status::Ok:
      break;
    case HeadRead::Status::Timeout:
      result.error = "no complete HTTP answer to the upgrade request in time";
      log("..", result.error);
      return result;
    case HeadRead::Status::Closed:
      result.error = "connection ended before an HTTP answer" +
                     (read.error.empty() ? std::string() : " (" + read.error + ")");
      log("..", result.error);
      return result;
    case HeadRead::Status::Invalid:
      result.error = "invalid HTTP answer: " + read.error;
      return result;
  }
  result.head = std::move(read.head);
  result.status = result.head.status;
  log("<-", "HTTP " + WireLog::summarize_text(head_summary(result.head), 600));
  if (result.status != 101) {
    read_refusal_body(result, deadline);
    result.error = "HTTP " + std::to_string(result.status) + " instead of 101";
    socket_.close();
    return result;
  }
  const UpgradeCheck check = verify_upgrade(result.head, request);
  if (!check.ok) {
    result.error = check.error;
    log("..", "handshake rejected: " + check.error);
    return result;
  }
  result.subprotocol = check.subprotocol;
  if (!check.extensions.empty()) {
    std::string error;
    const auto params = parse_deflate_answer(check.extensions, error);
    if (!params) {
      result.error = error;
      return result;
    }
    deflater_ = std::make_unique<MessageDeflater>(params->client_max_window_bits,
                                                  params->client_no_context_takeover);
    inflater_ = std::make_unique<MessageInflater>(params->server_max_window_bits,
                                                  params->server_no_context_takeover);
    decoder_.set_allowed_rsv(kRsv1);
    result.deflate = true;
  }
  result.upgraded = true;
  upgraded_ = true;
  return result;
}

void WsClient::read_refusal_body(ConnectResult& result, Deadline deadline) {
  std::size_t want = 65536;
  if (const auto length = result.head.header("content-length")) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
    if (ec == std::errc() && end == length->data() + length->size()) want = std::min(n, want);
  }
  result.body = rbuf_.substr(0, want);
  rbuf_.clear();
  // Bodies are small; do not wait long for one that never comes.
  const Deadline until = std::min(deadline, deadline_in(std::chrono::milliseconds(500)));
  char buf[4096];
  while (result.body.size() < want) {
    const RecvResult r = socket_.recv_some(buf, sizeof buf, until);
    if (r.status != IoStatus::Ok) break;
    result.body.append(buf, std::min(r.bytes, want - result.body.size()));
  }
  if (!result.body.empty()) log("<-", "HTTP body " + WireLog::summarize_text(result.body));
}

bool WsClient::write(std::string_view bytes, std::string_view what) {
  if (socket_.send_all(bytes, deadline_in(send_timeout_)) != IoStatus::Ok) {
    log("..", std::string("send failed (") + std::string(what) + "): " + socket_.error());
    return false;
  }
  return true;
}

bool WsClient::send_data(Opcode opcode, std::string_view payload) {
  const bool text = opcode == Opcode::Text;
  log("->", (text ? "text " + WireLog::summarize_text(payload)
                  : "binary " + WireLog::summarize_binary(payload)));
  if (deflater_ && compress_outgoing_) {
    return write(encode_client_frame(opcode, deflater_->compress(payload), true, kRsv1), "data");
  }
  return write(encode_client_frame(opcode, payload), "data");
}

bool WsClient::send_text(std::string_view payload) {
  return send_data(Opcode::Text, payload);
}
bool WsClient::send_binary(std::string_view payload) {
  return send_data(Opcode::Binary, payload);
}

bool WsClient::send_fragmented(Opcode opcode, std::string_view payload, std::size_t fragment_size) {
  if (fragment_size == 0) fragment_size = 1;
  log("->",
      std::string(to_string(opcode == Opcode::Text ? MessageKind::Text : MessageKind::Binary)) +
          " in " + std::to_string((payload.size() + fragment_size - 1) / fragment_size) +
          " fragments: " + WireLog::summarize_text(payload, 200));
  std::size_t offset = 0;
  bool first = true;
  do {
    const std::string_view part = payload.substr(offset, fragment_size);
    offset += part.size();
    const Opcode op = first ? opcode : Opcode::Continuation;
    if (!write(encode_client_frame(op, part, offset >= payload.size()), "fragment")) return false;
    first = false;
  } while (offset < payload.size());
  return true;
}

bool WsClient::send_frame(const FrameSpec& spec, std::string_view payload) {
  log("->", "frame op=" + std::to_string(spec.opcode) + " fin=" + std::to_string(spec.fin) +
                " rsv=" + std::to_string(spec.rsv) + " masked=" + std::to_string(spec.masked) +
                " " + WireLog::summarize_text(payload, 120));
  return write(encode_frame(spec, payload), "frame");
}

bool WsClient::send_raw(std::string_view bytes) {
  log("->", "raw " + WireLog::hex_prefix(bytes));
  return write(bytes, "raw");
}

bool WsClient::send_ping(std::string_view payload) {
  log("->", "ping " + WireLog::summarize_text(payload, 125));
  return write(encode_client_frame(Opcode::Ping, payload), "ping");
}

bool WsClient::send_close(std::uint16_t code, std::string_view reason) {
  log("->", "close " + std::to_string(code) + " " + std::string(reason));
  close_sent_ = true;
  return write(encode_client_frame(Opcode::Close, close_payload(code, reason)), "close");
}

Message WsClient::protocol_error(std::string why) {
  failed_ = why;
  log("<-", "PROTOCOL ERROR from server: " + why);
  if (!close_sent_ && socket_.is_open()) send_close(1002, "protocol error");
  return {MessageKind::Error, why, std::nullopt, {}};
}

std::optional<Message> WsClient::deliver() {
  in_message_ = false;
  Message m;
  m.kind = message_opcode_ == static_cast<std::uint8_t>(Opcode::Text) ? MessageKind::Text
                                                                      : MessageKind::Binary;
  if (message_compressed_) {
    std::string error;
    if (!inflater_->decompress(message_, max_message_bytes_, m.data, error)) {
      return protocol_error(error);
    }
  } else {
    m.data = std::move(message_);
  }
  message_.clear();
  if (m.kind == MessageKind::Text) {
    if (!is_valid_utf8(m.data)) return protocol_error("text message is not valid UTF-8");
    log("<-", "text " + WireLog::summarize_text(m.data));
  } else {
    log("<-", "binary " + WireLog::summarize_binary(m.data));
  }
  return m;
}

std::optional<Message> WsClient::on_frame() {
  Frame& f = frame_;
  const auto op = static_cast<Opcode>(f.opcode);
  switch (op) {
    case Opcode::Ping:
      ++pings_received_;
      log("<-", "ping " + WireLog::summarize_text(f.payload, 125));
      if (auto_pong_ && !close_sent_) {
        log("->", "pong (automatic)");
        write(encode_client_frame(Opcode::Pong, f.payload), "pong");
      }
      return std::nullopt;
    case Opcode::Pong:
      log("<-", "pong " + WireLog::summarize_text(f.payload, 125));
      pongs_.push_back(f.payload);
      return std::nullopt;
    case Opcode::Close: {
      Message m{MessageKind::Close, {}, std::nullopt, {}};
      if (f.payload.size() == 1) return protocol_error("close frame with a 1-byte body");
      if (f.payload.size() >= 2) {
        m.close_code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(f.payload[0]) << 8) |
                                                  static_cast<std::uint8_t>(f.payload[1]));
        m.close_reason = f.payload.substr(2);
        if (!is_valid_utf8(m.close_reason)) return protocol_error("close reason is not UTF-8");
      }
      log("<-", "close " +
                    (m.close_code ? std::to_string(*m.close_code) : std::string("(no code)")) +
                    " " + WireLog::summarize_text(m.close_reason));
      close_received_ = true;
      if (!close_sent_ && auto_close_reply_ && socket_.is_open()) {
        send_close(m.close_code.value_or(1000), "");
      }
      return m;
    }
    case Opcode::Text:
    case Opcode::Binary:
      if (in_message_) return protocol_error("new data frame inside a fragmented message");
      in_message_ = true;
      message_opcode_ = f.opcode;
      message_compressed_ = (f.rsv & kRsv1) != 0;
      message_ = std::move(f.payload);
      break;
    case Opcode::Continuation:
      if (!in_message_) return protocol_error("continuation frame without a message to continue");
      if ((f.rsv & kRsv1) != 0) return protocol_error("RSV1 set on a continuation frame");
      message_.append(f.payload);
      break;
  }
  f.payload.clear();
  if (message_.size() > max_message_bytes_) {
    return protocol_error("message larger than " + std::to_string(max_message_bytes_) + " bytes");
  }
  if (f.fin) return deliver();
  return std::nullopt;
}

Message WsClient::next_message(Deadline deadline) {
  if (!failed_.empty()) return {MessageKind::Error, failed_, std::nullopt, {}};
  char buf[65536];
  for (;;) {
    while (rpos_ < rbuf_.size()) {
      const auto r = decoder_.feed(std::string_view(rbuf_).substr(rpos_), frame_);
      rpos_ += r.consumed;
      if (r.status == FrameDecoder::Status::Error) {
        return protocol_error(std::string(to_string(r.error)));
      }
      if (r.status == FrameDecoder::Status::Frame) {
        if (auto m = on_frame()) return *m;
        if (!failed_.empty()) return {MessageKind::Error, failed_, std::nullopt, {}};
      }
    }
    rbuf_.clear();
    rpos_ = 0;
    if (eof_ || !socket_.is_open())
      return {MessageKind::Eof, "connection closed", std::nullopt, {}};
    const RecvResult r = socket_.recv_some(buf, sizeof buf, deadline);
    if (r.status == IoStatus::Timeout) return {MessageKind::Timeout, {}, std::nullopt, {}};
    if (r.status != IoStatus::Ok) {
      eof_ = true;
      std::string detail = r.status == IoStatus::Eof ? "TCP connection closed" : r.error;
      if (in_message_) detail += " in the middle of a message";
      log("<-", (close_received_ ? "EOF after close: " : "EOF without close frame: ") + detail);
      return {MessageKind::Eof, detail, std::nullopt, {}};
    }
    rbuf_.append(buf, r.bytes);
  }
}

void WsClient::close(std::uint16_t code, Deadline deadline) {
  if (!socket_.is_open()) return;
  if (!close_sent_) send_close(code, "");
  while (!eof_) {
    const Message m = next_message(deadline);
    if (m.kind == MessageKind::Timeout || m.kind == MessageKind::Eof ||
        m.kind == MessageKind::Error) {
      break;
    }
  }
  socket_.close();
}

void WsClient::abort() {
  log("..", "abort connection (RST)");
  socket_.abort();
  eof_ = true;
}

}  // namespace flake::conform
