// The reproducer file format ("flake-replay/1"): line-based text that replays the bytes a failed
// case wrote, per connection, with time offsets and placeholders for what differs between runs.
// Grammar (also in docs/gate-your-ci.md):
//   # flake-replay/1            first line, exactly
//   # ...                       comment (blank lines too)
//   connect C +MS               open connection C (1, 2, ...) to the target, MS ms after start
//   send C +MS "..." ...        write the bytes of the quoted strings in one write
//     "..."                     a line starting with blanks then '"' continues the last send
//   frames C +MS                from here on C's writes are WebSocket client frames: masked
//                               frames hold mask key 00000000 (payload in plain) and are masked
//                               again with a fresh key when played
//   recv C +MS N                the suite read N bytes from C here: replay waits (at most
//                               --max-pause) until N more bytes came from C, or some did and
//                               C has been quiet for 150 ms
//   shutdown C +MS | abort C +MS | close C +MS     half-close (FIN), reset (RST), close
// Quoted strings: printable ASCII as is; \\ \" \r \n \t \xHH; placeholders ${TOKEN},
// ${AUTHORITY} (host:port as in a Host header) and ${PATH} (the WebSocket path of the target
// URL); a literal '$' is written \x24.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform::repro {

inline constexpr std::string_view kMagic = "# flake-replay/1";

enum class PieceKind { Bytes, Token, Authority, Path };

struct Piece {
  PieceKind kind = PieceKind::Bytes;
  std::string bytes;  // Bytes only
  bool operator==(const Piece&) const = default;
};

enum class StepKind { Connect, Send, Frames, Recv, Shutdown, Abort, Close };

struct Step {
  StepKind kind = StepKind::Send;
  int conn = 1;
  long long at_ms = 0;
  std::vector<Piece> pieces;  // Send only
  long long received = 0;     // Recv only: what the suite read (informative)
  bool operator==(const Step&) const = default;
};

struct Script {
  std::vector<std::string> comments;  // header lines, without "# "
  std::vector<Step> steps;
};

std::string_view to_string(StepKind kind);

// The file's text: magic line, comments, steps; long sends wrapped after "\n" and at ~96 columns.
std::string format_script(const Script& script);
// Parses a file's text; nullopt with `error` ("line N: ...") when it is not a valid script.
std::optional<Script> parse_script(std::string_view text, std::string& error);

// Pieces with placeholders filled in.
struct Fill {
  std::string token;
  std::string authority;
  std::string path;
};
std::string expand(const std::vector<Piece>& pieces, const Fill& fill);

}  // namespace flake::conform::repro
