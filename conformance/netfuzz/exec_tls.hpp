// The TLS session a plain fuzz connection opens itself (the Tls* steps): OpenSSL directly on the
// socket, so the script can still write raw records beside it and ask for KeyUpdate or
// renegotiation, which TcpSocket's TLS layer does not offer.
#pragma once

#include "conformance/client/socket.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace flake::conform::netfuzz {

class ScriptTls {
 public:
  // Handshake with the target's trust (target_tls()) on the connected socket `fd`; "1.2" in
  // `max_version` caps the version. Nullptr with `error` when there is no TLS target or it fails.
  static std::unique_ptr<ScriptTls> handshake(int fd, const std::string& host,
                                              std::string_view max_version, Deadline deadline,
                                              std::string& error);
  ScriptTls(const ScriptTls&) = delete;
  ScriptTls& operator=(const ScriptTls&) = delete;

  bool write(std::string_view bytes, Deadline deadline, std::string& error);
  void close_notify();
  // KeyUpdate (TLS 1.3) or a renegotiation request (TLS 1.2), flushed with an empty write
  // attempt; a server refusing it is no error of ours.
  bool rekey(Deadline deadline, std::string& error);

 private:
  ScriptTls() = default;
  bool wait(int result, Deadline deadline, std::string& error);
  SslPtr ssl_;
  int fd_ = -1;
};

}  // namespace flake::conform::netfuzz
