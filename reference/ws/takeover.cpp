// Taking upgrades over (see takeover.hpp).
#include "reference/ws/takeover.hpp"

#include <fcntl.h>
#include <libwebsockets.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "reference/defects/seams.hpp"
#include "reference/http/request_gate.hpp"
#include "reference/state/http_state.hpp"
#include "reference/state/server_state.hpp"
#include "reference/ws/connection.hpp"
#include "reference/ws/upgrade.hpp"

namespace flake {

namespace {

// The head as lws parsed it, in the form our handshake code reads. Repeated headers stay
// separate entries (lws keeps them as fragments), so "exactly one Host" can be checked.
ws::RequestHead head_of(lws* wsi) {
  ws::RequestHead head;
  char* uri = nullptr;
  int uri_length = 0;
  static const char* const kMethods[] = {"GET",   "POST",   "OPTIONS", "PUT",
                                         "PATCH", "DELETE", "CONNECT", "HEAD"};
  const int method = lws_http_get_uri_and_method(wsi, &uri, &uri_length);
  head.method = method >= 0 && method < 8 ? kMethods[method] : "?";
  head.target = uri ? std::string(uri, static_cast<size_t>(uri_length)) : std::string();
  // lws keeps the query apart, one fragment per argument: put it back after the path.
  for (int index = 0;; ++index) {
    const int length = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, index);
    if (length <= 0) break;
    std::string arg(static_cast<size_t>(length) + 1, '\0');
    if (lws_hdr_copy_fragment(wsi, arg.data(), length + 1, WSI_TOKEN_HTTP_URI_ARGS, index) < 0)
      break;
    arg.resize(static_cast<size_t>(length));
    head.target += (index == 0 ? "?" : "&") + arg;
  }
  static const std::pair<const char*, lws_token_indexes> kHeaders[] = {
      {"Host", WSI_TOKEN_HOST},
      {"Origin", WSI_TOKEN_ORIGIN},
      {"Upgrade", WSI_TOKEN_UPGRADE},
      {"Connection", WSI_TOKEN_CONNECTION},
      {"Sec-WebSocket-Key", WSI_TOKEN_KEY},
      {"Sec-WebSocket-Version", WSI_TOKEN_VERSION},
      {"Sec-WebSocket-Protocol", WSI_TOKEN_PROTOCOL},
      {"Sec-WebSocket-Extensions", WSI_TOKEN_EXTENSIONS}};
  for (const auto& [name, token] : kHeaders) {
    for (int index = 0;; ++index) {
      const int length = lws_hdr_fragment_length(wsi, token, index);
      if (length <= 0) break;
      std::string value(static_cast<size_t>(length) + 1, '\0');
      if (lws_hdr_copy_fragment(wsi, value.data(), length + 1, token, index) < 0) break;
      value.resize(static_cast<size_t>(length));
      head.headers.emplace_back(name, std::move(value));
    }
  }
  return head;
}

// The answer is small and the socket's send buffer empty at this point, so one send() suffices.
void send_now(int fd, const std::string& response) {
  (void)send(fd, response.data(), response.size(), MSG_NOSIGNAL);
}

}  // namespace

int take_upgrade(Takeover& takeover, lws* wsi, ServerState& server, std::string_view protocol) {
  // lws asks only for "websocket" and "h2c"; h2c stays lws' business.
  if (!ws::lists_token(protocol, "websocket")) return 0;
  const int fd = lws_get_socket_fd(wsi);
  // Sockets upgraded in this service round but not yet adopted count too.
  const size_t open_connections = server.connections.size() + takeover.pending.size() +
                                  http_state(server).hub.reader_count() +
                                  seam::cap_counts_extra(server);
  UpgradeAnswer answer = answer_upgrade(head_of(wsi), server, open_connections);
  send_now(fd, answer.response);
  if (!answer.accepted) return -1;
  // The socket leaves lws' HTTP wsi: a duplicate keeps it, and the old descriptor number now
  // names /dev/null, so lws' shutdown() and close() on hanging up touch only the placeholder.
  const int kept = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  const int placeholder = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (kept < 0 || placeholder < 0 || dup3(placeholder, fd, O_CLOEXEC) < 0) {
    if (kept >= 0) close(kept);
    if (placeholder >= 0) close(placeholder);
    return -1;  // the client sees the connection end; it may retry
  }
  close(placeholder);
  takeover.pending.push_back(Takeover::Upgraded{kept, answer.deflate});
  return -1;
}

void adopt_upgraded(Takeover& takeover, lws_vhost* raw_vhost, ServerState& server,
                    void (*attach)(lws* wsi, Connection& c)) {
  std::vector<Takeover::Upgraded> pending;
  pending.swap(takeover.pending);
  for (Takeover::Upgraded& up : pending) {
    lws_sock_file_fd_type descriptor{};
    descriptor.sockfd = up.fd;
    lws* wsi =
        lws_adopt_descriptor_vhost(raw_vhost, LWS_ADOPT_SOCKET, descriptor, "flake-raw", nullptr);
    if (wsi == nullptr) continue;  // lws closed the descriptor
    Connection& c = add_connection(server, wsi);
    c.reader = ws::FrameReader(up.deflate.has_value(),
                               ws::FrameLeniency{server.has(Defect::kAcceptUnmasked),
                                                 server.has(Defect::kReservedBitsIgnored)});
    if (up.deflate) {
      c.inflater = std::make_unique<ws::Inflater>(*up.deflate);
      c.deflater = std::make_unique<ws::Deflater>(*up.deflate);
    }
    attach(wsi, c);
  }
}

}  // namespace flake
