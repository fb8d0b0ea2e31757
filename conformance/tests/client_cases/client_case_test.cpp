// Client cases through the harness's runner with deliberately tiny drivers (shell commands that
// never connect): they must fail, for the right reason, and quickly; output that is not an event
// line fails a case by itself.
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/harness/runner.hpp"

#include <gtest/gtest.h>

#include <set>

namespace flake::conform::client {
namespace {

using namespace std::chrono_literals;

class Quiet : public ProgressSink {
 public:
  void case_started(const Case&, std::size_t, std::size_t) override {}
  void case_finished(const CaseResult&, std::size_t, std::size_t) override {}
};

CaseResult run_one(const ClientSetup& setup, const std::string& id) {
  const Catalog catalog = build_client_catalog(setup);
  std::vector<const Case*> selected;
  for (const Case* c : catalog.ordered()) {
    if (c->id == id) selected.push_back(c);
  }
  EXPECT_EQ(selected.size(), 1u);
  Target target;
  Quiet quiet;
  auto results = run_cases(selected, target, RunConfig{}, quiet);
  return results.at(0);
}

TEST(ClientCatalog, EveryCaseIsInTheClientGroupWithAUniqueId) {
  ClientSetup setup;
  const Catalog catalog = build_client_catalog(setup);
  EXPECT_EQ(catalog.cases().size(), 30u);
  std::set<std::string> ids;
  for (const Case& c : catalog.cases()) {
    EXPECT_EQ(group_of(c), Group::Client) << c.id;
    EXPECT_TRUE(c.id.starts_with("C")) << c.id;
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_LE(c.budget, 20s) << c.id;
  }
  EXPECT_TRUE(selector_matches("client", catalog.cases().front()));
  EXPECT_TRUE(selector_matches("C7", *catalog.ordered().back()) ||
              selector_matches("C8", *catalog.ordered().back()));
}

TEST(ClientCases, ADriverThatNeverConnectsFails) {
  ClientSetup setup;
  setup.command = "echo '{\"event\":\"connected\"}'; sleep 10";
  setup.token = "t0123456789";
  setup.timeout = 500ms;
  const auto start = Clock::now();
  const CaseResult r = run_one(setup, "C4.6/2");
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_EQ(r.outcome.status, Status::Fail);
  EXPECT_EQ(r.outcome.expected, "an auth.authenticate request");
  bool driver_line = false;
  for (const auto& line : r.wire)
    driver_line = driver_line || line.find("driver |") != std::string::npos;
  EXPECT_TRUE(driver_line);
}

TEST(ClientCases, TheDriverSeesTheSuiteEnvironment) {
  ClientSetup setup;
  // Writes the values as a malformed line, so that they show up in the outcome.
  setup.command =
      "echo \"$FLAKE_SERVICES $FLAKE_BACKOFF_BASE_MS $FLAKE_BREAKER_OPEN_MS "
      "$FLAKE_CALL_TIMEOUT_MS $FLAKE_CALL_INTERVAL_MS {token} $FLAKE_TOKEN\"";
  setup.token = "tok42";
  setup.timeout = 300ms;
  const CaseResult r = run_one(setup, "C4.6/2");
  ASSERT_EQ(r.outcome.status, Status::Fail);
  bool found = false;
  for (const auto& line : r.wire) {
    found = found || line.find("vercel,supabase 100 600 1500 20 tok42 tok42") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace flake::conform::client
