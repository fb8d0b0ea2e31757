// §6.10 (client): an export whose sha256 or bytes is wrong is rejected; correct ones are verified.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/client_cases/observe.hpp"

namespace flake::conform::client {
namespace {

using namespace std::chrono_literals;

struct Export {
  std::string format;
  bool compressed;
  const char* want;  // "verified" or "rejected"
};

// Runs the workload with one export's metadata spoiled by `spoil` and compares the large events
// with `want` (format, compressed, outcome).
Outcome judge_exports(ClientCase& cc, std::function<void(json& result, const json& params)> spoil,
                      const std::vector<Export>& want) {
  peer::PeerScript script;
  script.rewrite = [spoil](json& m, const peer::Request* r) {
    if (r == nullptr || r->method != "logs.getLarge" || !m.contains("result")) return;
    spoil(m["result"], r->params);
  };
  cc.start(std::move(script));
  cc.wait_until([&] { return named(cc.events(), "large").size() >= want.size(); }, cc.timeout());
  const auto large = named(cc.events(), "large");
  std::string expected;
  std::string actual;
  bool ok = true;
  for (const Export& w : want) {
    std::string got = "no large event";
    for (const auto& e : large) {
      const json& ev = e.parsed.event;
      if (ev["format"] == w.format && ev["compressed"] == w.compressed) {
        got = ev["outcome"].get<std::string>();
        break;
      }
    }
    const std::string name = w.format + (w.compressed ? "+zlib" : "");
    expected += (expected.empty() ? "" : ", ") + name + " " + w.want;
    actual += (actual.empty() ? "" : ", ") + name + " " + got;
    ok = ok && got == w.want;
  }
  return ok ? pass() : fail(expected, actual);
}

}  // namespace

void add_c6_large_data_cases(Catalog& c, const ClientSetup& setup) {
  // §6.10: "Client: a client SHOULD verify bytes and sha256 before it uses the data."
  c.add({.id = "C6.10/1",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "an export with a wrong sha256 is rejected, correct ones are verified",
         .rules = {"6.10b"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           return judge_exports(cc,
                                [](json& result, const json& params) {
                                  if (params.value("format", "json") == "json") {
                                    result["sha256"] = std::string(64, '0');
                                  }
                                },
                                {{"json", false, "rejected"},
                                 {"msgpack", false, "verified"},
                                 {"msgpack", true, "verified"}});
         })});

  // §6.10 (the same bullet): bytes.
  c.add({.id = "C6.10/2",
         .tier = Tier::Should,
         .group = Group::Client,
         .requirement = "an export with a wrong bytes count is rejected, correct ones are verified",
         .rules = {"6.10b"},
         .budget = setup.timeout + 5s,
         .run = client_run(setup, [](ClientCase& cc) {
           return judge_exports(cc,
                                [](json& result, const json& params) {
                                  if (params.value("format", "json") == "msgpack" &&
                                      !params.value("compress", false)) {
                                    result["bytes"] = result["bytes"].get<std::int64_t>() + 1;
                                  }
                                },
                                {{"json", false, "verified"},
                                 {"msgpack", false, "rejected"},
                                 {"msgpack", true, "verified"}});
         })});
}

}  // namespace flake::conform::client
