// Starting a sidecar for --reference / --spawn, shared by flake-conform, its fuzz mode and
// flake-bench: the token and its temporary file, the command line, the wait for "listening".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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
// `body` exactly as given in a new file, as write_token_file makes it.
std::optional<TempFile> write_temp_file(std::string_view prefix, std::string_view body,
                                        std::string& error);

// The first line of a token file without surrounding blanks. Empty with `error` set when the file
// cannot be read ("cannot read PATH") or that line is blank ("PATH holds no token").
std::string read_token_file(const std::string& path, std::string& error);

struct SidecarCommand {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string description;        // for reports: the token file elided
  std::uint16_t port = 0;         // known in advance ({port} of --spawn), else 0
  bool tls = false;  // started with --tls-cert and --tls-key: must print wss:// (§14.2a)
};

// The reference sidecar on a port it picks, with the conformance methods and the token read from
// `token_file`, then `extra_args` (--sidecar-arg).
SidecarCommand reference_command(const std::string& binary, const std::string& token_file,
                                 std::span<const std::string> extra_args);

// A --spawn command, run by /bin/sh; every "{port}" becomes one free port picked now.
SidecarCommand spawn_command(std::string command);

// What one start of the sidecar under test passes besides its port and token (docs/protocol.md
// §11.7): the suite's set-up for most cases, a fresh process for the PERF group (§10.1), or one
// outside conformance mode (§11.1).
enum class SidecarSetup { kSuite, kPerformance, kNoConformance };
std::string_view to_string(SidecarSetup setup);

// The §1.8 options of `setup`: "--conformance" (not for kNoConformance), then "--rate 0" for
// kPerformance, or with `optional_ones` the optional options of §1.8 the suite uses (--rate,
// --burst, --ping-interval-ms; the values below).
std::vector<std::string> setup_options(SidecarSetup setup, bool optional_ones);
inline constexpr int kSuiteRate = 500;
inline constexpr int kSuiteBurst = 1000;
inline constexpr int kSuitePingIntervalMs = 2000;

// The reference as reference_command starts it, but with `options` in place of --conformance.
SidecarCommand reference_command(const std::string& binary, const std::string& token_file,
                                 std::span<const std::string> extra_args,
                                 std::span<const std::string> options);
// A --spawn command whose "{options}" become `options` (space-separated); "{port}" as above.
SidecarCommand spawn_command(std::string command, std::span<const std::string> options);
// True when a --spawn command leaves its options to the suite ("{options}").
bool takes_options(std::string_view spawn);

enum class StartError { kNone, kCannotStart, kExited, kTimedOut, kNotTls };

struct StartResult {
  std::optional<Url> url;  // set when it listens
  StartError error = StartError::kNone;
  // kCannotStart: SidecarProcess::start's reason; kExited: "exited before listening (exit status
  // N)" or "(killed by a signal)"; kTimedOut: "did not start listening within N ms"; kNotTls: a
  // command with a certificate printed a ws:// start-up line (the process still runs).
  std::string message;
};

// Starts `command` in `process` (`secret` as for SidecarProcess::start) and waits up to `timeout`
// for its "listening on ws://HOST:PORT/rpc" line (wss:// with command.tls, else kNotTls), or, with
// command.port set, for that port to accept a connection (a {port} command need not print the
// line).
StartResult start_sidecar(SidecarProcess& process, const SidecarCommand& command,
                          const std::string& secret, std::chrono::milliseconds timeout,
                          const std::vector<EnvChange>& env = {});

// One start that a case asks for (docs/protocol.md §11.7): the §1.8 options of `setup`, then
// `extra` (a later occurrence wins, §1.8c, and a command places {options} after its own options),
// with the environment changed by `env`. `without_port` and `without_token_file` leave those
// options out; only a command the suite composes itself (--reference) can do that.
struct StartSpec {
  SidecarSetup setup = SidecarSetup::kSuite;
  bool optional_options = true;  // the optional options of §1.8, while the suite still uses them
  std::vector<std::string> extra;
  std::vector<EnvChange> env;
  bool without_port = false;
  bool without_token_file = false;
  bool wait = true;  // false: return once the process runs; the case waits for what it needs
  bool without_tls = false;  // in a --tls run: leave out --tls-cert and --tls-key (§14.1a)
  std::chrono::milliseconds timeout{10000};  // the wait for the start-up line or the exit
};

// A start of a StartSpec, whether or not the process came to listen.
struct StartAttempt {
  std::unique_ptr<SidecarProcess> process;  // null when it could not be started at all
  std::optional<Url> url;                   // set when it printed its start-up line (wait only)
  StartResult result;                       // with wait: as start_sidecar reports it
  std::string description;                  // the command as started (token file elided)
};

// A sidecar process the suite started, with the URL it listens on.
struct StartedSidecar {
  std::unique_ptr<SidecarProcess> process;
  Url url;
  std::string description;  // the command as started (token file elided)
  SidecarCommand command;   // as started: {port} and {options} replaced
};

// How the suite starts the sidecar under test (--reference or --spawn) for each SidecarSetup
// (docs/protocol.md §11.7). Only --reference and a --spawn template with "{options}" let the suite
// choose the options; any other --spawn command runs as given, for every set-up. A start with the
// optional options of §1.8 that ends before the start-up line is tried once more without them, and
// later starts leave them out.
class SidecarLauncher {
 public:
  static SidecarLauncher reference(std::string binary, std::string token_file,
                                   std::vector<std::string> extra_args);
  static SidecarLauncher spawn(std::string command);
  // --tls: every start passes --tls-cert `chain_file` --tls-key `key_file` among its options (the
  // optional options of §14.2, kept when the suite drops those of §1.8) and must print wss://.
  // Paths under `private_dir` show as "<temporary directory>" in descriptions.
  void serve_tls(std::string chain_file, std::string key_file, std::string private_dir);
  bool tls() const { return !tls_options_.empty(); }

  bool chooses_options() const { return !spawn_ || takes_options(*spawn_); }
  // Whether the optional options are still passed (false after a start failed with them).
  bool optional_options() const { return optional_ok_; }
  SidecarCommand command(SidecarSetup setup) const;
  // True when the suite composes the whole command (--reference): only then can a start leave out
  // --port or --token-file.
  bool composes_command() const { return !spawn_; }
  // The command of `spec`; nullopt with `error` when this launcher cannot compose it.
  std::optional<SidecarCommand> command(const StartSpec& spec, std::string& error) const;
  // Starts `spec` (never retried); see StartAttempt. `error` when it cannot be composed.
  StartAttempt start(const StartSpec& spec, const std::string& secret, std::string& error) const;
  // Starts a new process set up as `setup` and waits up to `timeout` for it to listen. Nullopt
  // with `failure` (and the process's output in `output`) when it does not.
  std::optional<StartedSidecar> start(SidecarSetup setup, const std::string& secret,
                                      std::chrono::milliseconds timeout, StartResult& failure,
                                      std::string& output);
  // Notes on what the starts did (a retry without the optional options).
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  std::optional<std::string> spawn_;
  std::string binary_;
  std::string token_file_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> tls_options_;
  std::string tls_dir_;
  bool optional_ok_ = true;
  std::vector<std::string> notes_;
};

}  // namespace flake::conform
