// Live-stream generators: same inputs give the same bytes, every output is valid JSON with the
// agreed fields, and deployment events name projects that exist in the vercel fixture.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "reference/state/fixture_store.hpp"
#include "reference/state/stream_generator.hpp"

namespace flake {
namespace {

constexpr int64_t kNow = 1'733'011'200'000;
constexpr std::array<const char*, 4> kLevelNames{"debug", "info", "warn", "error"};

// Pinned bytes: replays, benchmarks and other implementations' tests may compare against them, so a
// change here must be deliberate.
constexpr std::string_view kGoldenLogs =
    R"({"ts":1733011200000,"level":"info","message":"GET /api/items/24126 200 in 1764 ms",)"
    R"("source":"vercel/edge-function"})"
    "\n"
    R"({"ts":1733011200000,"level":"info","message":"build step 61 of 64 finished in 254 ms",)"
    R"("source":"vercel/serverless"})"
    "\n"
    R"({"ts":1733011200000,"level":"info","message":"build step 37 of 64 finished in 1569 ms",)"
    R"("source":"vercel/router"})";
constexpr std::string_view kGoldenMetrics =
    R"({"cpu":47.7,"memoryMb":536,"requestsPerSec":1186.2,"errorRate":0.0013,"ts":1733011200000})";
constexpr std::string_view kGoldenDeployment =
    R"({"id":"dpl_YLJ0AhCqKQTPXANcCJLxlDeV","project":"api-gateway","state":"READY",)"
    R"("url":"https://api-gateway-s5fldgce5.vercel.example","createdAt":1733011200000})";

std::vector<std::string> member_names(const cJSON* object) {
  std::vector<std::string> names;
  for (const cJSON* c = object->child; c != nullptr; c = c->next) names.emplace_back(c->string);
  return names;
}

std::string entry_json(const LogEntry& entry) {
  std::string out;
  LogGenerator::append_json(out, entry);
  return out;
}

TEST(LogGenerator, SameSeedSameEntriesAndBytes) {
  LogGenerator a(7), b(7);
  for (int i = 0; i < 1000; ++i) {
    const std::string_view service = i % 3 == 0 ? "vercel" : i % 3 == 1 ? "supabase" : "aws";
    const LogEntry x = a.next(service, kNow + i);
    const LogEntry y = b.next(service, kNow + i);
    ASSERT_EQ(x.ts, y.ts);
    ASSERT_EQ(x.level, y.level);
    ASSERT_EQ(x.n, y.n);
    ASSERT_EQ(entry_json(x), entry_json(y));
  }
}

TEST(LogGenerator, DefaultSeedIsOne) {
  LogGenerator a, b(1);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(a.next("aws", kNow).level, b.next("aws", kNow).level);
}

TEST(LogGenerator, SeedChangesTheSequence) {
  LogGenerator a(1), b(2);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) differ += a.next("aws", kNow).level != b.next("aws", kNow).level;
  EXPECT_GT(differ, 100);
}

TEST(LogGenerator, CountsAcrossServicesAndKeepsInputs) {
  LogGenerator gen;
  const std::string service = "supabase";
  for (uint64_t i = 1; i <= 100; ++i) {
    const LogEntry e =
        gen.next(i % 2 ? std::string_view(service) : std::string_view("aws"), kNow - 5);
    EXPECT_EQ(e.n, i);
    EXPECT_EQ(e.ts, kNow - 5);
    if (i % 2) {
      EXPECT_EQ(e.service.data(), service.data());  // a view, not a copy
    }
    EXPECT_GE(e.level, 0);
    EXPECT_LE(e.level, 3);
  }
}

TEST(LogGenerator, LevelMixLooksLikeRealLogs) {
  LogGenerator gen;
  std::array<int, 4> counts{};
  for (int i = 0; i < 10000; ++i) ++counts[static_cast<size_t>(gen.next("vercel", kNow).level)];
  EXPECT_GT(counts[0], 1000);  // ~15 % debug
  EXPECT_LT(counts[0], 2000);
  EXPECT_GT(counts[1], 5800);  // ~65 % info
  EXPECT_LT(counts[1], 7200);
  EXPECT_GT(counts[2], 1000);  // ~14 % warn
  EXPECT_LT(counts[2], 1800);
  EXPECT_GT(counts[3], 300);  // ~6 % error
  EXPECT_LT(counts[3], 900);
}

// The micro-check: a notification's worth of entries, glued the way the notifier does it, is valid
// JSON with exactly the agreed fields.
TEST(LogGenerator, ThousandEntriesParseWithTheAgreedFields) {
  LogGenerator gen(42);
  std::vector<LogEntry> entries;
  std::string out = "[";
  const std::array<std::string_view, 3> services{"vercel", "supabase", "aws"};
  for (int i = 0; i < 1000; ++i) {
    entries.push_back(gen.next(services[static_cast<size_t>(i) % 3], kNow + i));
    if (i > 0) out += ',';
    LogGenerator::append_json(out, entries.back());
  }
  out += ']';
  JsonPtr parsed(cJSON_Parse(out.c_str()));
  ASSERT_TRUE(parsed) << out.substr(0, 300);
  ASSERT_EQ(cJSON_GetArraySize(parsed.get()), 1000);
  size_t i = 0;
  for (const cJSON* item = parsed->child; item != nullptr; item = item->next, ++i) {
    SCOPED_TRACE(print_json(item));
    const LogEntry& e = entries[i];
    EXPECT_EQ(member_names(item), (std::vector<std::string>{"ts", "level", "message", "source"}));
    const cJSON* ts = member(item, "ts");
    ASSERT_TRUE(cJSON_IsNumber(ts));
    EXPECT_EQ(ts->valuedouble, static_cast<double>(e.ts));
    EXPECT_EQ(string_member(item, "level"), kLevelNames[static_cast<size_t>(e.level)]);
    const std::string_view message = string_member(item, "message").value_or("");
    EXPECT_GE(message.size(), 10u);
    EXPECT_EQ(message.find('%'), std::string_view::npos);  // every placeholder filled
    const std::string_view source = string_member(item, "source").value_or("");
    EXPECT_TRUE(source.starts_with(std::string(e.service) + "/")) << source;
    EXPECT_GT(source.size(), e.service.size() + 1);
  }
}

TEST(LogGenerator, EveryTemplateIsReachedAtItsOwnLevel) {
  // Reduce a message to its template: 8-hex-digit ids to X, numbers to #.
  const std::regex hex_id("\\b[0-9a-f]{8}\\b");
  const std::regex number("[0-9]+");
  std::map<std::string, std::set<std::string>> shapes_by_level;
  LogGenerator gen;
  for (int i = 0; i < 20000; ++i) {
    const LogEntry e = gen.next("aws", kNow);
    JsonPtr item(cJSON_Parse(entry_json(e).c_str()));
    ASSERT_TRUE(item);
    std::string shape(string_member(item.get(), "message").value_or(""));
    shape = std::regex_replace(std::regex_replace(shape, hex_id, "X"), number, "#");
    shapes_by_level[std::string(string_member(item.get(), "level").value_or(""))].insert(shape);
  }
  EXPECT_EQ(shapes_by_level["debug"].size(), 5u);
  EXPECT_EQ(shapes_by_level["info"].size(), 6u);
  EXPECT_EQ(shapes_by_level["warn"].size(), 4u);
  EXPECT_EQ(shapes_by_level["error"].size(), 4u);
}

TEST(LogGenerator, AppendsWithoutTouchingWhatIsThere) {
  std::string out = R"({"entries":[)";
  LogGenerator::append_json(out, LogEntry{kNow, 1, 9, "vercel"});
  EXPECT_TRUE(out.starts_with(R"({"entries":[{"ts":1733011200000,"level":"info","message":")"))
      << out;
  EXPECT_TRUE(out.ends_with("\"}")) << out;
}

TEST(LogGenerator, KnownOutputIsStable) {
  LogGenerator gen;
  std::string out;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) out += '\n';
    LogGenerator::append_json(out, gen.next("vercel", kNow));
  }
  EXPECT_EQ(out, kGoldenLogs);
}

TEST(LogGenerator, EscapesOddServiceNames) {
  const std::string service = "we\"ird\\name\n\x01\x1f/é";
  std::string out;
  LogGenerator::append_json(out, LogEntry{kNow, 2, 5, service});
  JsonPtr item(cJSON_Parse(out.c_str()));
  ASSERT_TRUE(item) << out;
  const std::string_view source = string_member(item.get(), "source").value_or("");
  EXPECT_TRUE(source.starts_with(service + "/")) << out;
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

TEST(LogGenerator, ExtremeValuesStayValid) {
  for (const LogEntry& e : {LogEntry{std::numeric_limits<int64_t>::min(), -5, 0, ""},
                            LogEntry{std::numeric_limits<int64_t>::max(), 99,
                                     std::numeric_limits<uint64_t>::max(), "aws"}}) {
    const std::string out = entry_json(e);
    JsonPtr item(cJSON_Parse(out.c_str()));
    ASSERT_TRUE(item) << out;
    EXPECT_NE(out.find(std::to_string(e.ts)), std::string::npos) << out;
    const std::string_view level = string_member(item.get(), "level").value_or("");
    EXPECT_EQ(level, e.level < 0 ? "debug" : "error");  // out-of-range levels are clamped
  }
}

// --- Metrics ---

TEST(Metrics, DeterministicWithTheAgreedFields) {
  for (uint64_t n : {0ULL, 1ULL, 59ULL, 60ULL, 12345ULL, ~0ULL}) {
    JsonPtr a = make_metrics("vercel", n, kNow);
    JsonPtr b = make_metrics("vercel", n, kNow);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(print_json(a.get()), print_json(b.get()));
    EXPECT_EQ(member_names(a.get()),
              (std::vector<std::string>{"cpu", "memoryMb", "requestsPerSec", "errorRate", "ts"}));
  }
}

TEST(Metrics, ValuesAreInRangeAndRounded) {
  for (const char* service : {"vercel", "supabase", "aws", "unknown", ""}) {
    for (uint64_t n = 0; n < 2000; ++n) {
      JsonPtr m = make_metrics(service, n, kNow);
      const double cpu = cJSON_GetNumberValue(member(m.get(), "cpu"));
      const double memory = cJSON_GetNumberValue(member(m.get(), "memoryMb"));
      const double rps = cJSON_GetNumberValue(member(m.get(), "requestsPerSec"));
      const double errors = cJSON_GetNumberValue(member(m.get(), "errorRate"));
      ASSERT_GE(cpu, 0.0);
      ASSERT_LE(cpu, 100.0);
      ASSERT_EQ(std::round(cpu * 10), cpu * 10) << cpu;
      ASSERT_GE(memory, 64.0);
      ASSERT_EQ(std::floor(memory), memory);
      ASSERT_GE(rps, 0.0);
      ASSERT_GE(errors, 0.0);
      ASSERT_LE(errors, 1.0);
      ASSERT_EQ(cJSON_GetNumberValue(member(m.get(), "ts")), static_cast<double>(kNow));
    }
  }
}

TEST(Metrics, VaryOverTimeAndBetweenServices) {
  std::set<double> cpu;
  int differ = 0;
  for (uint64_t n = 0; n < 120; ++n) {
    cpu.insert(cJSON_GetNumberValue(member(make_metrics("aws", n, kNow).get(), "cpu")));
    differ += print_json(make_metrics("aws", n, kNow).get()) !=
              print_json(make_metrics("supabase", n, kNow).get());
  }
  EXPECT_GT(cpu.size(), 30u);
  EXPECT_GT(differ, 100);
}

TEST(Metrics, KnownOutputIsStable) {
  EXPECT_EQ(print_json(make_metrics("vercel", 1, kNow).get()), kGoldenMetrics);
}

// --- Deployments ---

TEST(DeploymentEvent, FieldsAndProjectsFromTheFixture) {
  std::string error;
  auto store = FixtureStore::load(FLAKE_TEST_FIXTURES, error);
  ASSERT_TRUE(store.has_value()) << error;
  std::set<std::string> projects;
  const cJSON* list = store->collection("vercel", "projects");
  ASSERT_TRUE(cJSON_IsArray(list));
  for (const cJSON* p = list->child; p != nullptr; p = p->next) {
    projects.emplace(string_member(p, "name").value_or(""));
  }

  const std::set<std::string> states{"QUEUED", "BUILDING", "READY", "ERROR", "CANCELED"};
  std::set<std::string> ids, seen_states, seen_projects;
  const std::regex id_shape("dpl_[0-9A-Za-z]{24}");
  for (uint64_t n = 1; n <= 1000; ++n) {
    JsonPtr e = make_deployment_event(n, kNow + static_cast<int64_t>(n));
    ASSERT_TRUE(e);
    SCOPED_TRACE(print_json(e.get()));
    ASSERT_EQ(member_names(e.get()),
              (std::vector<std::string>{"id", "project", "state", "url", "createdAt"}));
    const std::string id(string_member(e.get(), "id").value_or(""));
    const std::string project(string_member(e.get(), "project").value_or(""));
    const std::string state(string_member(e.get(), "state").value_or(""));
    const std::string url(string_member(e.get(), "url").value_or(""));
    EXPECT_TRUE(std::regex_match(id, id_shape));
    EXPECT_TRUE(ids.insert(id).second) << "duplicate id";
    EXPECT_TRUE(projects.contains(project));
    EXPECT_TRUE(states.contains(state));
    EXPECT_TRUE(url.starts_with("https://" + project + "-"));
    EXPECT_TRUE(url.ends_with(".vercel.example"));
    EXPECT_EQ(cJSON_GetNumberValue(member(e.get(), "createdAt")), static_cast<double>(kNow + n));
    seen_states.insert(state);
    seen_projects.insert(project);
  }
  EXPECT_EQ(seen_states, states);
  EXPECT_EQ(seen_projects, projects);  // the C++ table and the fixture agree in both directions
}

TEST(DeploymentEvent, Deterministic) {
  for (uint64_t n : {0ULL, 1ULL, 2ULL, 1000ULL, ~0ULL}) {
    EXPECT_EQ(print_json(make_deployment_event(n, kNow).get()),
              print_json(make_deployment_event(n, kNow).get()));
  }
  EXPECT_NE(print_json(make_deployment_event(1, kNow).get()),
            print_json(make_deployment_event(2, kNow).get()));
  EXPECT_EQ(print_json(make_deployment_event(1, kNow).get()), kGoldenDeployment);
}

}  // namespace
}  // namespace flake
