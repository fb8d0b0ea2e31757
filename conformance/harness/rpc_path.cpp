// The three JSON-RPC paths: text frames, MessagePack frames, POST /api/v1/rpc.
#include "conformance/harness/rpc_path.hpp"

#include "conformance/client/http_client.hpp"
#include "conformance/harness/expect.hpp"

namespace flake::conform {
namespace {

// Which method a request names, so that require_result/require_error can tell a missing feature.
std::string method_of(std::string_view json_text) {
  const json sent = json::parse(json_text, nullptr, false);
  if (sent.is_object() && sent.contains("method") && sent["method"].is_string()) {
    return sent["method"].get<std::string>();
  }
  return {};
}

// An HTTP answer for a failure report: status and the start of the body, or why none came.
std::string http_outcome(const HttpResponse& r) {
  return r.complete
             ? "HTTP " + std::to_string(r.status) + " " + WireLog::summarize_text(r.body, 200)
             : r.error;
}

class SocketPath : public RpcPath {
 public:
  SocketPath(CaseContext& ctx, Encoding encoding)
      : ctx_(ctx), encoding_(encoding), rpc_(ctx.connect_authenticated()) {}

  Incoming send(std::string_view json_text) override {
    put(json_text);
    Incoming in = rpc_->wait_for_response(ctx_.deadline());
    in.method = method_of(json_text);
    if (encoding_ == Encoding::MsgPack && in.is_value()) {
      require(in.encoding == Encoding::MsgPack,
              "the answer to a MessagePack request in a binary message (2.4)", in.describe());
    }
    return in;
  }

  void require_no_answer(std::string_view json_text, std::string_view what) override {
    put(json_text);
    const Incoming in = send(R"({"jsonrpc":"2.0","method":"system.ping","id":"sentinel"})");
    const json& r =
        require_value(in, "the answer to a sentinel request after " + std::string(what));
    require(r.is_object() && r.value("id", json()) == "sentinel",
            "no answer to " + std::string(what) + " (the next answer is the sentinel's)", show(r));
    require_no_response(*rpc_, std::chrono::milliseconds(300), "no answer to " + std::string(what));
  }

  Incoming unsolicited(std::chrono::milliseconds wait) override {
    return rpc_->wait_for([](const json&) { return true; }, ctx_.deadline_after(wait));
  }

 private:
  void put(std::string_view json_text) {
    bool sent = false;
    if (encoding_ == Encoding::Json) {
      sent = rpc_->ws().send_text(json_text);
    } else {
      const json value = json::parse(json_text, nullptr, false);
      require(!value.is_discarded(), "a case message that is valid JSON (harness)",
              std::string(json_text));
      const std::vector<std::uint8_t> bytes = json::to_msgpack(value);
      sent = rpc_->ws().send_binary(
          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
    if (!sent) fail_case("the message to be sent", "the connection is gone");
  }

  CaseContext& ctx_;
  Encoding encoding_;
  std::unique_ptr<RpcClient> rpc_;
};

class HttpPath : public RpcPath {
 public:
  explicit HttpPath(CaseContext& ctx) : ctx_(ctx) {}

  Incoming send(std::string_view json_text) override {
    const HttpResponse r = post(json_text);
    Incoming in;
    in.method = method_of(json_text);
    if (r.complete && r.status == 200) {
      in.value = json::parse(r.body, nullptr, false);
      in.kind = in.value.is_discarded() ? Incoming::Kind::Undecodable : Incoming::Kind::Value;
      in.raw.kind = MessageKind::Text;
      in.raw.data = r.body;
    } else if (r.complete && r.status == 204) {
      in.kind = Incoming::Kind::Timeout;  // no answer, as silence is on a socket
    } else {
      in.kind = Incoming::Kind::Error;
      in.raw.data = http_outcome(r);
    }
    return in;
  }

  void require_no_answer(std::string_view json_text, std::string_view what) override {
    const HttpResponse r = post(json_text);
    require(r.complete && r.status == 204 && r.body.empty(),
            "HTTP 204 without a body for " + std::string(what) + " (9.7)", http_outcome(r));
  }

  Incoming unsolicited(std::chrono::milliseconds) override { return Incoming{}; }

 private:
  HttpResponse post(std::string_view json_text) {
    HttpRequest request;
    request.method = "POST";
    request.path = "/api/v1/rpc";
    request.headers = {{"Content-Type", "application/json"},
                       {"Authorization", "Bearer " + ctx_.target().token}};
    request.body = std::string(json_text);
    HttpResponse r = http_request(ctx_.target().url, request, ctx_.deadline(), &ctx_.log(),
                                  ctx_.next_connection_number());
    if (r.complete && r.status == 404) unimplemented_case("POST /api/v1/rpc answers 404");
    return r;
  }

  CaseContext& ctx_;
};

}  // namespace

Incoming RpcPath::call(std::string_view method, const json& params, const json& id) {
  return send(make_request(method, params, id).dump());
}

json call_result(RpcPath& path, std::string_view method, const json& params) {
  const Incoming in = path.call(method, params);
  const std::string expected = std::string(method) + " answered with a result";
  const json& r = require_value(in, expected);
  require_response_shape(r, method);
  require(r.contains("result"), expected, show(r));
  return r["result"];
}

void require_usable(RpcPath& path, std::string_view after_what) {
  const Incoming in = path.send(R"({"jsonrpc":"2.0","method":"system.ping","id":"usable"})");
  const std::string expected =
      "still usable after " + std::string(after_what) + " (system.ping answered)";
  const json& r = require_value(in, expected);
  require(r.is_object() && r.value("id", json()) == "usable" && r.contains("result"), expected,
          show(r));
}

Encoding socket_encoding(CaseContext& ctx) {
  if (ctx.path() != Path::MsgPack) return Encoding::Json;
  if (ctx.capabilities().value("msgpack", true) == false) {
    unimplemented_case("the sidecar advertises capabilities.msgpack false");
  }
  return Encoding::MsgPack;
}

std::unique_ptr<RpcPath> open_rpc_path(CaseContext& ctx) {
  if (ctx.path() == Path::Http) return std::make_unique<HttpPath>(ctx);
  return std::make_unique<SocketPath>(ctx, socket_encoding(ctx));
}

}  // namespace flake::conform
