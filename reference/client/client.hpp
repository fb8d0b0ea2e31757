// The reference client's public API (namespace flake::client): connect, call, batch, subscribe,
// logs.getLarge, and a stream of §13.4 events. Calls may come from any thread and return futures;
// one I/O thread owned by the Client does all socket work, reconnects and resumes (§7.7), keeps
// the breakers (§7.8) and answers pings (§7.6). Values crossing the API are plain: JSON as text,
// outcomes as enums, so a Python binding can hand them over without knowing cJSON.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "reference/client/client_defects.hpp"
#include "reference/client/config.hpp"
#include "reference/client/events.hpp"
#include "reference/client/large_export.hpp"

namespace flake::client {

struct RpcError {
  int code = 0;
  std::string message;
  std::string data_json;  // "" when the error had no data
};

struct CallResult {
  CallResult() = default;
  explicit CallResult(std::string m, Outcome o = Outcome::kTransport)
      : method(std::move(m)), outcome(o) {}

  std::string method;
  Outcome outcome = Outcome::kTransport;
  std::string result_json;        // kResult: the result, as JSON text
  std::optional<RpcError> error;  // kError
};

struct CallRequest {
  std::string method;
  std::string params_json;  // "" sends no params
};

// Runs on the I/O thread for each event; it must not block for long (the thread answers pings).
using EventHandler = std::function<void(const Event&)>;

class Engine;

class Client {
 public:
  Client(ClientConfig config, ClientBehaviour behaviour, EventHandler on_event);
  ~Client();  // stop()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts the I/O thread, which connects and authenticates at once (§13.3 steps 1-2). Calls made
  // before it is connected wait until it is.
  void start();
  // Closes the connection (close 1000) and joins the I/O thread; outstanding calls end with
  // Outcome::kTransport. Idempotent.
  void stop();

  std::future<CallResult> call(std::string method, std::string params_json = {});
  // One batch message (§3.4); results in the order of `requests`, matched by id.
  std::future<std::vector<CallResult>> batch(std::vector<CallRequest> requests);
  // A *.subscribe call whose subscription the client keeps: re-made with the same params after
  // -32007 (§7.4), counted for lastSeq (§6.2).
  std::future<CallResult> subscribe(std::string method, std::string params_json);
  // logs.getLarge with `params_json`; the export assembled, verified and decoded (§6.7-§6.10).
  std::future<LargeResult> get_large(std::string params_json);

  // The client stopped reconnecting (§7.7); every later call ends with kTransport at once.
  bool gave_up() const;

 private:
  std::unique_ptr<Engine> engine_;
  std::thread thread_;
};

}  // namespace flake::client
