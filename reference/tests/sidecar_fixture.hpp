// Starts the real flake-sidecar binary on port 0 for an integration test and stops it afterwards.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "conformance/client/rpc_client.hpp"
#include "conformance/client/sidecar_process.hpp"

namespace flake::itest {

using conform::json;

inline constexpr const char* kToken = "itest-token-0123456789";

inline std::string token_file() {
  static const std::string path = [] {
    // One file per test process: ctest runs several at once, and a shared file could be read while
    // another process truncates it.
    std::string p = testing::TempDir() + "flake-itest-token-" + std::to_string(::getpid());
    FILE* f = std::fopen(p.c_str(), "w");
    std::fputs(kToken, f);
    std::fclose(f);
    return p;
  }();
  return path;
}

class Sidecar {
 public:
  explicit Sidecar(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{FLAKE_SIDECAR_BIN, "--port",     "0",
                                  "--token-file",    token_file(), "--conformance"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string error;
    if (!process_.start(argv, kToken, error)) throw std::runtime_error("start: " + error);
    auto url = process_.wait_listening(std::chrono::seconds(10));
    if (!url) throw std::runtime_error("no listening line: " + process_.output_tail());
    url_ = *url;
  }
  const conform::Url& url() const { return url_; }
  conform::SidecarProcess& process() { return process_; }

  // A connected (and, unless told otherwise, authenticated) client.
  std::unique_ptr<conform::RpcClient> client(bool authenticate = true,
                                             conform::ConnectOptions options = {}) {
    auto c = std::make_unique<conform::RpcClient>();
    conform::ConnectResult r = c->connect(url_, options);
    if (!r.upgraded) throw std::runtime_error("connect failed: " + r.error);
    if (authenticate) {
      conform::Incoming a = c->authenticate(
          kToken, json{{"version", "itest"}, {"platform", "linux"}}, std::chrono::seconds(5));
      if (!a.is_value() || !a.value.contains("result"))
        throw std::runtime_error("auth: " + a.describe());
    }
    return c;
  }

 private:
  conform::SidecarProcess process_;
  conform::Url url_;
};

}  // namespace flake::itest
