// Starting a sidecar for --reference / --spawn, shared by flake-conform, its fuzz mode and
// flake-bench: the token and its temporary file, the command line, the wait for "listening".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/client/sidecar_process.hpp"
#include "conformance/client/url.hpp"

namespace flake::conform {

// 48 lowercase hex digits from 24 bytes of OpenSSL randomness; empty when there is none.
std::string random_token();

// A file unlinked when its owner goes away, however the run ends.
class TempFile {
 public:
  TempFile() = default;
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `token` and a newline in a new file $TMPDIR/<prefix>-XXXXXX (mkstemp: mode 0600). Nullopt and
// `error` when it cannot be created or written; nothing is left behind then.
std::optional<TempFile> write_token_file(std::string_view prefix, std::string_view token,
                                         std::string& error);

// The first line of a token file without surrounding blanks. Empty with `error` set when the file
// cannot be read ("cannot read PATH") or that line is blank ("PATH holds no token").
std::string read_token_file(const std::string& path, std::string& error);

struct SidecarCommand {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string description;        // for reports: the token file elided
  std::uint16_t port = 0;         // known in advance ({port} of --spawn), else 0
};

// The reference sidecar on a port it picks, with the conformance methods and the token read from
// `token_file`, then `extra_args` (--sidecar-arg).
SidecarCommand reference_command(const std::string& binary, const std::string& token_file,
                                 std::span<const std::string> extra_args);

// A --spawn command, run by /bin/sh; every "{port}" becomes one free port picked now.
SidecarCommand spawn_command(std::string command);

enum class StartError { kNone, kCannotStart, kExited, kTimedOut };

struct StartResult {
  std::optional<Url> url;  // set when it listens
  StartError error = StartError::kNone;
  // kCannotStart: SidecarProcess::start's reason; kExited: "exited before listening (exit status
  // N)" or "(killed by a signal)"; kTimedOut: "did not start listening within N ms".
  std::string message;
};

// Starts `command` in `process` (`secret` as for SidecarProcess::start) and waits up to `timeout`
// for its "listening on ws://HOST:PORT/rpc" line, or, with command.port set, for that port to
// accept a connection (a {port} command need not print the line).
StartResult start_sidecar(SidecarProcess& process, const SidecarCommand& command,
                          const std::string& secret, std::chrono::milliseconds timeout);

}  // namespace flake::conform
