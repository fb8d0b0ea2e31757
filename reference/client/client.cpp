// The thread-safe face of the client: every call becomes a Job for the I/O thread (engine.cpp).
#include "reference/client/client.hpp"

#include "reference/client/engine.hpp"

namespace flake::client {

Client::Client(ClientConfig config, ClientBehaviour behaviour, EventHandler on_event)
    : engine_(std::make_unique<Engine>(std::move(config), behaviour, std::move(on_event))) {}

Client::~Client() {
  stop();
}

void Client::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { engine_->run(); });
}

void Client::stop() {
  engine_->request_stop();
  if (thread_.joinable()) thread_.join();
}

bool Client::gave_up() const {
  return engine_->gave_up();
}

std::future<CallResult> Client::call(std::string method, std::string params_json) {
  Job job;
  job.kind = Job::Kind::kCall;
  job.requests.push_back(CallRequest{std::move(method), std::move(params_json)});
  auto f = job.one.get_future();
  engine_->submit(std::move(job));
  return f;
}

std::future<std::vector<CallResult>> Client::batch(std::vector<CallRequest> requests) {
  Job job;
  job.kind = Job::Kind::kBatch;
  job.requests = std::move(requests);
  auto f = job.many.get_future();
  if (job.requests.empty()) {
    job.many.set_value({});
    return f;
  }
  engine_->submit(std::move(job));
  return f;
}

std::future<CallResult> Client::subscribe(std::string method, std::string params_json) {
  Job job;
  job.kind = Job::Kind::kSubscribe;
  job.requests.push_back(CallRequest{std::move(method), std::move(params_json)});
  auto f = job.one.get_future();
  engine_->submit(std::move(job));
  return f;
}

std::future<LargeResult> Client::get_large(std::string params_json) {
  Job job;
  job.kind = Job::Kind::kLarge;
  job.requests.push_back(CallRequest{"logs.getLarge", std::move(params_json)});
  auto f = job.large.get_future();
  engine_->submit(std::move(job));
  return f;
}

}  // namespace flake::client
