// Whole messages out of server frames: reassembles fragments (control frames may come between
// them, §2.5), inflates permessage-deflate messages (§1.7, RFC 7692) and bounds each message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "reference/client/client_defects.hpp"
#include "reference/client/frame.hpp"

namespace flake::ws {
class Inflater;
}

namespace flake::client {

struct Incoming {
  enum class Kind { kText, kBinary, kPing, kPong, kClose, kFail } kind = Kind::kText;
  std::string payload;           // message, ping/pong payload, close reason
  std::optional<uint16_t> code;  // kClose: the code received (absent without one); kFail: ours
};

// What the handshake agreed for permessage-deflate, seen from the client.
struct DeflateAgreed {
  bool server_no_context_takeover = false;  // the server resets its window after each message
};

class MessageReader {
 public:
  MessageReader(std::optional<DeflateAgreed> deflate, size_t max_message_bytes,
                ClientBehaviour behaviour);
  ~MessageReader();
  MessageReader(const MessageReader&) = delete;
  MessageReader& operator=(const MessageReader&) = delete;

  // Feeds raw bytes (any split) and appends what completed to `out`. After a kFail item (code
  // 1002, 1007 or 1009 for the client to send) the reader is spent and ignores further input.
  void feed(std::span<const uint8_t> bytes, std::vector<Incoming>& out);

 private:
  void on_frame_end(const FrameHeader& h, std::vector<Incoming>& out);
  void fail(uint16_t code, std::string reason, std::vector<Incoming>& out);

  FrameReader frames_;
  std::unique_ptr<ws::Inflater> inflater_;  // null without permessage-deflate
  size_t max_message_bytes_;
  ClientBehaviour behaviour_;
  bool failed_ = false;
  // The data message in progress.
  bool in_message_ = false;
  bool compressed_ = false;
  Opcode message_op_ = Opcode::kText;
  std::string message_;
  // The control frame in progress (<= 125 bytes).
  std::string control_;
};

}  // namespace flake::client
