// Sidecar: a sidecar under test. The reference (or any command, with {port}, {token} and
// {token_file} filled in) started on a free port with a fresh random token, or one already running
// (attach). Stop, kill and restart keep the same port, so a restarted sidecar is found again.
#include "bindings.hpp"
#include "errors.hpp"

#include "conformance/client/sidecar_process.hpp"
#include "conformance/client/socket.hpp"
#include "conformance/harness/target/sidecar_startup.hpp"

#include <dlfcn.h>
#include <pybind11/stl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#ifndef FLAKE_SIDECAR_BIN
#define FLAKE_SIDECAR_BIN "flake-sidecar"
#endif
#ifndef FLAKE_SIDECAR_FROM_MODULE
#define FLAKE_SIDECAR_FROM_MODULE "../../../bin/flake-sidecar"
#endif

namespace flake::py {
namespace {

using namespace flake::conform;
using std::chrono::milliseconds;

// The token for a sidecar started here: given, or fresh from sidecar_startup.
std::string new_token() {
  std::string token = random_token();
  if (token.empty()) throw std::runtime_error("no randomness for a token");
  return token;
}

// A token file that lives as long as the Sidecar object.
TempFile token_file_for(const std::string& token) {
  std::string error;
  std::optional<TempFile> file = write_token_file("flakeconform-token", token, error);
  if (!file) throw std::runtime_error(error);
  return std::move(*file);
}

void replace_all(std::string& text, std::string_view key, const std::string& value) {
  for (std::size_t at = 0; (at = text.find(key, at)) != std::string::npos; at += value.size()) {
    text.replace(at, key.size(), value);
  }
}

class Sidecar {
 public:
  enum class Mode { Reference, Command, External };

  static std::shared_ptr<Sidecar> reference(std::optional<std::string> binary,
                                            std::vector<std::string> args,
                                            std::optional<std::string> token, double startup) {
    auto s = std::make_shared<Sidecar>();
    s->mode_ = Mode::Reference;
    s->binary_ = binary ? *binary : default_binary();
    if (::access(s->binary_.c_str(), X_OK) != 0) {
      throw pyb::value_error(
          "reference sidecar " + s->binary_ +
          " is not an executable file (build flake-sidecar or set FLAKE_SIDECAR_BIN)");
    }
    s->args_ = std::move(args);
    s->token_ = token ? *token : new_token();
    s->token_file_ = token_file_for(s->token_);
    s->startup_ = seconds_to_ms(startup);
    s->start();
    return s;
  }

  static std::shared_ptr<Sidecar> command(const std::string& command,
                                          std::optional<std::string> token, double startup) {
    const bool uses_token = command.find("{token}") != std::string::npos ||
                            command.find("{token_file}") != std::string::npos;
    if (!token && !uses_token) {
      throw pyb::value_error(
          "the sidecar's token is unknown: pass token= or put {token} or "
          "{token_file} in the command");
    }
    auto s = std::make_shared<Sidecar>();
    s->mode_ = Mode::Command;
    s->command_ = command;
    s->token_ = token ? *token : new_token();
    if (command.find("{token_file}") != std::string::npos) {
      s->token_file_ = token_file_for(s->token_);
    }
    if (command.find("{port}") != std::string::npos) s->port_ = pick_free_port();
    s->startup_ = seconds_to_ms(startup);
    s->start();
    return s;
  }

  static std::shared_ptr<Sidecar> attach(const std::string& url, const std::string& token) {
    std::string error;
    auto parsed = parse_url(url, &error);
    if (!parsed) throw pyb::value_error("bad URL " + url + ": " + error);
    auto s = std::make_shared<Sidecar>();
    s->mode_ = Mode::External;
    s->url_ = parsed->scheme == "http" ? with_path(*parsed, "/rpc", "ws") : *parsed;
    s->port_ = s->url_->port;
    s->token_ = token;
    return s;
  }

  // FLAKE_SIDECAR_BIN, else the flake-sidecar installed with this module (an installed module
  // must not depend on the build tree it was made in), else the build tree's.
  static std::string default_binary() {
    const char* env = std::getenv("FLAKE_SIDECAR_BIN");
    if (env && *env) return env;
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&Sidecar::default_binary), &info) != 0 &&
        info.dli_fname != nullptr) {
      std::string installed = info.dli_fname;
      const std::size_t slash = installed.rfind('/');
      if (slash != std::string::npos) {
        installed.resize(slash + 1);
        installed += FLAKE_SIDECAR_FROM_MODULE;
        if (::access(installed.c_str(), X_OK) == 0) {
          // /usr/bin/flake-sidecar rather than /usr/lib/python3/dist-packages/../../../bin/...
          std::unique_ptr<char, decltype(&std::free)> real(::realpath(installed.c_str(), nullptr),
                                                           &std::free);
          return real ? std::string(real.get()) : installed;
        }
      }
    }
    return FLAKE_SIDECAR_BIN;
  }

  void start() {
    if (mode_ == Mode::External) throw std::runtime_error("an attached sidecar cannot be started");
    if (process_ && process_->running()) throw std::runtime_error("the sidecar is already running");
    std::vector<std::string> argv;
    if (mode_ == Mode::Reference) {
      argv = {binary_,         "--port",       std::to_string(port_),
              "--conformance", "--token-file", token_file_->path()};
      argv.insert(argv.end(), args_.begin(), args_.end());
      description_ = binary_ + " --port " + std::to_string(port_) +
                     " --conformance --token-file <temporary file>";
      for (const auto& a : args_) description_ += " " + a;
    } else {
      std::string cmd = command_;
      replace_all(cmd, "{port}", std::to_string(port_));
      replace_all(cmd, "{token}", token_);
      if (token_file_) replace_all(cmd, "{token_file}", token_file_->path());
      argv = {"/bin/sh", "-c", "exec " + cmd};
      description_ = command_;
    }
    std::string error;
    std::optional<Url> url;
    {
      pyb::gil_scoped_release release;
      process_ = std::make_unique<SidecarProcess>();
      if (process_->start(argv, token_, error)) url = await_listening();
    }
    if (!error.empty()) throw std::runtime_error("cannot start the sidecar: " + error);
    if (!url) {
      const std::string why = process_->running() ? "did not start listening within " +
                                                        std::to_string(startup_.count()) + " ms"
                                                  : "exited before listening";
      const std::string output = process_->output_tail();
      {
        pyb::gil_scoped_release release;
        process_->stop(milliseconds(500));
      }
      throw std::runtime_error("the sidecar (" + description_ + ") " + why + "; its output:\n" +
                               output);
    }
    url_ = *url;
    port_ = url->port;  // a restart reuses it
  }

  pyb::object stop(double grace) {
    if (!process_) return pyb::none();
    ExitInfo info;
    {
      pyb::gil_scoped_release release;
      info = process_->stop(seconds_to_ms(grace));
    }
    pyb::dict out;
    out["exited"] = info.exited;
    out["code"] = info.code;
    out["signal"] = info.signal;
    out["stop_ms"] = info.stop_time.count();
    return out;
  }

  // SIGKILL: a crash, no graceful shutdown (sessions are lost, sockets reset).
  void kill() {
    if (!process_ || !process_->running()) return;
    ::kill(process_->pid(), SIGKILL);
    pyb::gil_scoped_release release;
    process_->stop(milliseconds(1000));
  }

  void restart(double grace) {
    if (mode_ == Mode::External)
      throw std::runtime_error("an attached sidecar cannot be restarted");
    stop(grace);
    start();
  }

  bool running() { return mode_ == Mode::External || (process_ && process_->running()); }
  std::optional<int> pid() const {
    if (!process_ || process_->exit_info()) return std::nullopt;
    return process_->pid();
  }
  long rss_kib() const { return process_ && !process_->exit_info() ? process_->rss_kib() : 0; }
  std::string output() const { return process_ ? process_->output_tail() : std::string(); }
  std::string url() const {
    return url_ ? url_->scheme + "://" + url_->authority + url_->path : "";
  }
  std::string http_url() const { return url_ ? "http://" + url_->authority : ""; }
  std::string host() const { return url_ ? url_->host : ""; }
  int port() const { return url_ ? url_->port : 0; }
  const std::string& token() const { return token_; }
  std::optional<std::string> token_file() const {
    return token_file_ ? std::optional<std::string>(token_file_->path()) : std::nullopt;
  }
  bool external() const { return mode_ == Mode::External; }
  bool is_reference() const { return mode_ == Mode::Reference; }
  const std::string& description() const { return description_; }

 private:
  static milliseconds seconds_to_ms(double s) {
    if (!(s >= 0)) throw pyb::value_error("a duration must be >= 0 seconds");
    return milliseconds(static_cast<long long>(s * 1000.0));
  }

  // The start-up line, or (for commands given a {port}) the port accepting connections.
  std::optional<Url> await_listening() {
    const Deadline end = deadline_in(startup_);
    const bool probe = mode_ == Mode::Command && port_ != 0;
    while (Clock::now() < end) {
      if (auto url = process_->wait_listening(milliseconds(50))) return url;
      if (!process_->running()) return std::nullopt;
      if (probe) {
        TcpSocket socket;
        if (socket.connect("127.0.0.1", port_, deadline_in(milliseconds(100)))) {
          return parse_url("ws://127.0.0.1:" + std::to_string(port_) + "/rpc");
        }
      }
    }
    return std::nullopt;
  }

  Mode mode_ = Mode::Reference;
  std::string binary_;
  std::vector<std::string> args_;
  std::string command_;
  std::string token_;
  std::optional<TempFile> token_file_;
  std::uint16_t port_ = 0;
  milliseconds startup_{10000};
  std::unique_ptr<SidecarProcess> process_;
  std::optional<Url> url_;
  std::string description_;
};

}  // namespace

void bind_sidecar(pyb::module_& m) {
  using pyb::arg;
  m.attr("default_sidecar_bin") = Sidecar::default_binary();
  pyb::class_<Sidecar, std::shared_ptr<Sidecar>>(m, "Sidecar", "A sidecar under test.")
      .def_static(
          "reference", &Sidecar::reference, arg("binary") = pyb::none(),
          arg("args") = std::vector<std::string>{}, pyb::kw_only(), arg("token") = pyb::none(),
          arg("startup_timeout") = 10.0,
          "Starts the reference flake-sidecar with --port 0 --conformance and a random token.")
      .def_static("command", &Sidecar::command, arg("command"), pyb::kw_only(),
                  arg("token") = pyb::none(), arg("startup_timeout") = 10.0,
                  "Starts any sidecar: /bin/sh runs the command with {port}, {token} and "
                  "{token_file} replaced.")
      .def_static("attach", &Sidecar::attach, arg("url"), arg("token"),
                  "A sidecar that is already running; stop/kill do nothing.")
      .def("stop", &Sidecar::stop, arg("grace") = 2.0,
           "SIGTERM, then SIGKILL after `grace` seconds; returns {exited, code, signal, stop_ms}.")
      .def("kill", &Sidecar::kill)
      .def("restart", &Sidecar::restart, arg("grace") = 2.0)
      .def("__enter__", [](const std::shared_ptr<Sidecar>& self) { return self; })
      .def("__exit__", [](Sidecar& self, const pyb::args&) { self.stop(2.0); })
      .def_property_readonly("running", &Sidecar::running)
      .def_property_readonly("pid", &Sidecar::pid)
      .def_property_readonly("rss_kib", &Sidecar::rss_kib)
      .def_property_readonly("output", &Sidecar::output)
      .def_property_readonly("url", &Sidecar::url)
      .def_property_readonly("http_url", &Sidecar::http_url)
      .def_property_readonly("host", &Sidecar::host)
      .def_property_readonly("port", &Sidecar::port)
      .def_property_readonly("token", &Sidecar::token)
      .def_property_readonly("token_file", &Sidecar::token_file)
      .def_property_readonly("external", &Sidecar::external)
      .def_property_readonly("is_reference", &Sidecar::is_reference)
      .def_property_readonly("description", &Sidecar::description)
      .def("__repr__", [](const Sidecar& self) { return "<Sidecar " + self.url() + ">"; });
}

}  // namespace flake::py
