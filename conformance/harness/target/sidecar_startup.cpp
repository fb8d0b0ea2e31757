// Sidecar start-up shared by the harness, its fuzz mode and flake-bench (sidecar_startup.hpp).
// The token is never derived from anything reproducible: reproducers hold a placeholder for it.
#include "conformance/harness/target/sidecar_startup.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "conformance/client/socket.hpp"

namespace flake::conform {
namespace {

// A port given in advance is polled too: a --spawn command with {port} may never print the line.
std::optional<Url> await_listening(SidecarProcess& process, std::uint16_t port, bool tls,
                                   std::chrono::milliseconds timeout) {
  const Deadline end = deadline_in(timeout);
  while (Clock::now() < end) {
    if (auto url = process.wait_listening(std::chrono::milliseconds(50))) return url;
    if (!process.running()) return std::nullopt;
    if (port != 0) {
      // Accepting is listening; whether the TLS handshake works is for the preflight to say.
      TcpSocket probe;
      if (probe.connect("127.0.0.1", port, deadline_in(std::chrono::milliseconds(100)),
                        TlsConnect{.use = TlsConnect::Use::kPlain})) {
        return parse_url((tls ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + std::to_string(port) +
                         "/rpc");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::string random_token() {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const unsigned char c : raw) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0xF]);
  }
  return hex;
}

TempFile::TempFile(TempFile&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempFile::~TempFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

std::optional<TempFile> write_token_file(std::string_view prefix, std::string_view token,
                                         std::string& error) {
  return write_temp_file(prefix, std::string(token) + "\n", error);
}

std::optional<TempFile> write_temp_file(std::string_view prefix, std::string_view body,
                                        std::string& error) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/";
  pattern.append(prefix);
  pattern += "-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    error = "cannot create a temporary file";
    return std::nullopt;
  }
  TempFile file(pattern);
  const bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ::close(fd);
  if (!ok) {
    error = "cannot write the temporary file " + file.path();
    return std::nullopt;
  }
  return file;
}

std::string read_token_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return {};
  }
  std::string line;
  std::getline(in, line);
  const auto begin = line.find_first_not_of(" \t\r");
  if (begin == std::string::npos) {
    error = path + " holds no token";
    return {};
  }
  const auto end = line.find_last_not_of(" \t\r");
  return line.substr(begin, end - begin + 1);
}

SidecarCommand reference_command(const std::string& binary, const std::string& token_file,
                                 std::span<const std::string> extra_args) {
  SidecarCommand c;
  c.argv = {binary, "--port", "0", "--conformance", "--token-file", token_file};
  c.description = binary + " --port 0 --conformance --token-file <temporary file>";
  for (const auto& a : extra_args) {
    c.argv.push_back(a);
    c.description += " " + a;
  }
  return c;
}

SidecarCommand spawn_command(std::string command) {
  SidecarCommand c;
  if (command.find("{port}") != std::string::npos) {
    c.port = pick_free_port();
    for (std::size_t at; (at = command.find("{port}")) != std::string::npos;) {
      command.replace(at, 6, std::to_string(c.port));
    }
  }
  c.argv = {"/bin/sh", "-c", "exec " + command};
  c.description = std::move(command);
  return c;
}

std::string_view to_string(SidecarSetup setup) {
  switch (setup) {
    case SidecarSetup::kSuite:
      return "suite";
    case SidecarSetup::kPerformance:
      return "performance";
    case SidecarSetup::kNoConformance:
      return "no-conformance";
  }
  return "suite";
}

std::vector<std::string> setup_options(SidecarSetup setup, bool optional_ones) {
  std::vector<std::string> o;
  if (setup != SidecarSetup::kNoConformance) o.push_back("--conformance");
  if (setup == SidecarSetup::kPerformance) {
    o.insert(o.end(), {"--rate", "0"});
  } else if (optional_ones) {
    o.insert(o.end(), {"--rate", std::to_string(kSuiteRate), "--burst", std::to_string(kSuiteBurst),
                       "--ping-interval-ms", std::to_string(kSuitePingIntervalMs)});
  }
  return o;
}

SidecarCommand reference_command(const std::string& binary, const std::string& token_file,
                                 std::span<const std::string> extra_args,
                                 std::span<const std::string> options) {
  SidecarCommand c;
  c.argv = {binary, "--port", "0", "--token-file", token_file};
  c.description = binary + " --port 0 --token-file <temporary file>";
  for (const auto* list : {&options, &extra_args}) {
    for (const auto& a : *list) {
      c.argv.push_back(a);
      c.description += " " + a;
    }
  }
  return c;
}

bool takes_options(std::string_view spawn) {
  return spawn.find("{options}") != std::string::npos;
}

SidecarCommand spawn_command(std::string command, std::span<const std::string> options) {
  std::string joined;
  for (const auto& a : options) joined += (joined.empty() ? "" : " ") + a;
  for (std::size_t at; (at = command.find("{options}")) != std::string::npos;) {
    command.replace(at, 9, joined);
  }
  return spawn_command(std::move(command));
}

StartResult start_sidecar(SidecarProcess& process, const SidecarCommand& command,
                          const std::string& secret, std::chrono::milliseconds timeout,
                          const std::vector<EnvChange>& env) {
  StartResult r;
  if (!process.start(command.argv, secret, r.message, env)) {
    r.error = StartError::kCannotStart;
    return r;
  }
  r.url = await_listening(process, command.port, command.tls, timeout);
  if (r.url && command.tls && !r.url->tls()) {
    r.error = StartError::kNotTls;
    r.message = "printed the start-up line \"listening on " + r.url->text() +
                "\" although it was started with --tls-cert and --tls-key: a sidecar with a "
                "certificate serves TLS and names the scheme wss (14.2a)";
    r.url.reset();
    return r;
  }
  if (r.url) return r;
  if (process.running()) {
    r.error = StartError::kTimedOut;
    r.message = "did not start listening within " + std::to_string(timeout.count()) + " ms";
  } else {
    const auto exit = process.exit_info();
    r.error = StartError::kExited;
    r.message = "exited before listening (" +
                (exit && exit->exited ? "exit status " + std::to_string(exit->code)
                                      : std::string("killed by a signal")) +
                ")";
  }
  return r;
}

SidecarLauncher SidecarLauncher::reference(std::string binary, std::string token_file,
                                           std::vector<std::string> extra_args) {
  SidecarLauncher l;
  l.binary_ = std::move(binary);
  l.token_file_ = std::move(token_file);
  l.extra_args_ = std::move(extra_args);
  return l;
}

SidecarLauncher SidecarLauncher::spawn(std::string command) {
  SidecarLauncher l;
  l.spawn_ = std::move(command);
  return l;
}

void SidecarLauncher::serve_tls(std::string chain_file, std::string key_file,
                                std::string private_dir) {
  tls_options_ = {"--tls-cert", std::move(chain_file), "--tls-key", std::move(key_file)};
  tls_dir_ = std::move(private_dir);
}

namespace {

void elide_dir(SidecarCommand& c, const std::string& dir) {
  if (dir.empty()) return;
  for (std::size_t at; (at = c.description.find(dir)) != std::string::npos;) {
    c.description.replace(at, dir.size(), "<temporary directory>");
  }
}

}  // namespace

SidecarCommand SidecarLauncher::command(SidecarSetup setup) const {
  std::vector<std::string> options = setup_options(setup, optional_ok_);
  options.insert(options.end(), tls_options_.begin(), tls_options_.end());
  SidecarCommand c = spawn_ ? spawn_command(*spawn_, options)
                            : reference_command(binary_, token_file_, extra_args_, options);
  c.tls = tls();
  elide_dir(c, tls_dir_);
  return c;
}

std::optional<StartedSidecar> SidecarLauncher::start(SidecarSetup setup, const std::string& secret,
                                                     std::chrono::milliseconds timeout,
                                                     StartResult& failure, std::string& output) {
  for (;;) {
    StartedSidecar s;
    s.process = std::make_unique<SidecarProcess>();
    const SidecarCommand c = command(setup);
    s.description = c.description;
    s.command = c;
    failure = start_sidecar(*s.process, c, secret, timeout);
    if (failure.url) {
      s.url = *failure.url;
      return s;
    }
    output = s.process->output_tail();
    // §11.7: a sidecar that refuses the optional options of §1.8 (exits at start) gets none.
    const bool had_optional = setup != SidecarSetup::kPerformance && optional_ok_;
    if (failure.error != StartError::kExited || !had_optional || !chooses_options()) {
      return std::nullopt;
    }
    optional_ok_ = false;
    notes_.push_back("the sidecar " + failure.message + " with " + c.description +
                     "; starting it without the optional options of 1.8");
  }
}

std::optional<SidecarCommand> SidecarLauncher::command(const StartSpec& spec,
                                                       std::string& error) const {
  std::vector<std::string> options =
      setup_options(spec.setup, optional_ok_ && spec.optional_options);
  const bool tls_start = tls() && !spec.without_tls;
  if (tls_start) options.insert(options.end(), tls_options_.begin(), tls_options_.end());
  options.insert(options.end(), spec.extra.begin(), spec.extra.end());
  if (spawn_) {
    if (spec.without_port || spec.without_token_file) {
      error = std::string("needs a start without ") +
              (spec.without_port ? "--port" : "--token-file") +
              ", which only a command the suite composes can leave out (--reference); a --spawn "
              "command passes it itself (11.7)";
      return std::nullopt;
    }
    if (!takes_options(*spawn_) && !spec.extra.empty()) {
      error = "needs options of its own, and the --spawn command has no {options} (11.7)";
      return std::nullopt;
    }
    SidecarCommand c = spawn_command(*spawn_, options);
    // An added --port replaces {port}: the start-up line tells where it listens.
    if (std::find(spec.extra.begin(), spec.extra.end(), "--port") != spec.extra.end()) c.port = 0;
    c.tls = tls_start;
    elide_dir(c, tls_dir_);
    return c;
  }
  SidecarCommand c;
  c.argv = {binary_};
  c.description = binary_;
  if (!spec.without_port) {
    c.argv.insert(c.argv.end(), {"--port", "0"});
    c.description += " --port 0";
  }
  if (!spec.without_token_file) {
    c.argv.insert(c.argv.end(), {"--token-file", token_file_});
    c.description += " --token-file <temporary file>";
  }
  const std::vector<std::string>* lists[] = {&options, &extra_args_};
  for (const std::vector<std::string>* list : lists) {
    for (const auto& a : *list) {
      c.argv.push_back(a);
      c.description += " " + a;
    }
  }
  c.tls = tls_start;
  elide_dir(c, tls_dir_);
  return c;
}

StartAttempt SidecarLauncher::start(const StartSpec& spec, const std::string& secret,
                                    std::string& error) const {
  StartAttempt a;
  const std::optional<SidecarCommand> c = command(spec, error);
  if (!c) return a;
  a.description = c->description;
  for (const auto& [name, value] : spec.env) {
    a.description = name + (value ? "=<set>" : " unset") + ", " + a.description;
  }
  auto process = std::make_unique<SidecarProcess>();
  if (!spec.wait) {
    if (!process->start(c->argv, secret, a.result.message, spec.env)) {
      a.result.error = StartError::kCannotStart;
      error = a.result.message;
      return a;
    }
    a.process = std::move(process);
    return a;
  }
  a.result = start_sidecar(*process, *c, secret, spec.timeout, spec.env);
  if (a.result.error == StartError::kCannotStart) {
    error = a.result.message;
    return a;
  }
  a.url = a.result.url;
  a.process = std::move(process);
  return a;
}

}  // namespace flake::conform
