// FixtureStore on the real fixtures (the shape the protocol promises) and on broken fixture
// directories in a temporary directory, where each failure must name the file and say why.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <type_traits>

#include "reference/state/fixture_store.hpp"

namespace flake {
namespace {

namespace fs = std::filesystem;

static_assert(!std::is_copy_constructible_v<FixtureStore>);
static_assert(!std::is_copy_assignable_v<FixtureStore>);
static_assert(std::is_nothrow_move_constructible_v<FixtureStore>);
static_assert(std::is_nothrow_move_assignable_v<FixtureStore>);

FixtureStore load_real() {
  std::string error;
  auto store = FixtureStore::load(FLAKE_TEST_FIXTURES, error);
  EXPECT_TRUE(store.has_value()) << error;
  return store ? std::move(*store) : FixtureStore();
}

TEST(FixtureStoreReal, ListsTheThreeServicesSorted) {
  FixtureStore store = load_real();
  EXPECT_EQ(store.services(), (std::vector<std::string>{"aws", "supabase", "vercel"}));
  for (const std::string& name : store.services()) EXPECT_TRUE(store.has_service(name));
  EXPECT_FALSE(store.has_service("gcp"));
  EXPECT_FALSE(store.has_service(""));
  EXPECT_FALSE(store.has_service("Vercel"));  // names are case-sensitive, like method names
}

TEST(FixtureStoreReal, DashboardsHaveTheCommonShape) {
  FixtureStore store = load_real();
  for (const std::string& name : store.services()) {
    SCOPED_TRACE(name);
    const cJSON* d = store.dashboard(name);
    ASSERT_TRUE(cJSON_IsObject(d));
    EXPECT_EQ(string_member(d, "service"), name);
    EXPECT_TRUE(string_member(d, "title").has_value());
    EXPECT_TRUE(cJSON_IsObject(member(d, "summary")));
    auto status = string_member(d, "status");
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(*status == "operational" || *status == "degraded" || *status == "outage" ||
                *status == "maintenance")
        << *status;
    const cJSON* widgets = member(d, "widgets");
    ASSERT_TRUE(cJSON_IsArray(widgets));
    EXPECT_GT(cJSON_GetArraySize(widgets), 0);
    for (const cJSON* w = widgets->child; w != nullptr; w = w->next) {
      EXPECT_TRUE(string_member(w, "id").has_value());
      EXPECT_TRUE(string_member(w, "type").has_value());
    }
    const cJSON* updated = member(d, "updatedAt");
    ASSERT_TRUE(cJSON_IsNumber(updated));
    EXPECT_GT(updated->valuedouble, 1.6e12);  // ms, not s
  }
  EXPECT_EQ(store.dashboard("gcp"), nullptr);
}

TEST(FixtureStoreReal, CollectionsHaveTheAgreedSizesAndUniqueIds) {
  FixtureStore store = load_real();
  const struct {
    const char* service;
    const char* name;
    int size;
    const char* state_key;
  } expected[] = {{"vercel", "deployments", 137, "state"},
                  {"vercel", "projects", 23, "latestDeploymentState"},
                  {"supabase", "databases", 41, "status"},
                  {"aws", "instances", 250, "state"}};
  for (const auto& e : expected) {
    SCOPED_TRACE(std::string(e.service) + "/" + e.name);
    const cJSON* items = store.collection(e.service, e.name);
    ASSERT_TRUE(cJSON_IsArray(items));
    EXPECT_EQ(cJSON_GetArraySize(items), e.size);
    std::set<std::string> ids;
    for (const cJSON* item = items->child; item != nullptr; item = item->next) {
      auto id = string_member(item, "id");
      ASSERT_TRUE(id.has_value());
      EXPECT_TRUE(ids.insert(std::string(*id)).second) << "duplicate id " << *id;
      EXPECT_TRUE(string_member(item, "name").has_value()) << *id;
      EXPECT_TRUE(string_member(item, e.state_key).has_value()) << *id;
      EXPECT_TRUE(cJSON_IsNumber(member(item, "createdAt"))) << *id;
    }
  }
}

TEST(FixtureStoreReal, CollectionLookupIsExact) {
  FixtureStore store = load_real();
  EXPECT_EQ(store.collection("vercel", "Deployments"), nullptr);
  EXPECT_EQ(store.collection("vercel", "deployment"), nullptr);
  EXPECT_EQ(store.collection("vercel", "databases"), nullptr);  // another service's collection
  EXPECT_EQ(store.collection("gcp", "deployments"), nullptr);
  EXPECT_EQ(store.collection("vercel", ""), nullptr);
  // string_view arguments need not be NUL-terminated.
  const std::string_view padded = "deploymentsXYZ";
  EXPECT_EQ(store.collection("vercelX", padded), nullptr);
  const cJSON* deployments = store.collection("vercel", "deployments");
  ASSERT_NE(deployments, nullptr);
  EXPECT_EQ(store.collection(std::string_view("vercelX").substr(0, 6), padded.substr(0, 11)),
            deployments);
  EXPECT_TRUE(store.has_service(std::string_view("awsome").substr(0, 3)));
}

TEST(FixtureStoreReal, PointersSurviveAMove) {
  FixtureStore store = load_real();
  const cJSON* dashboard = store.dashboard("aws");
  const cJSON* items = store.collection("aws", "instances");
  FixtureStore moved = std::move(store);
  EXPECT_EQ(moved.dashboard("aws"), dashboard);
  EXPECT_EQ(moved.collection("aws", "instances"), items);
  FixtureStore assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.dashboard("aws"), dashboard);
  EXPECT_EQ(assigned.services().size(), 3u);
}

TEST(FixtureStoreReal, DefaultConstructedIsEmpty) {
  FixtureStore store;
  EXPECT_TRUE(store.services().empty());
  EXPECT_FALSE(store.has_service("vercel"));
  EXPECT_EQ(store.dashboard("vercel"), nullptr);
  EXPECT_EQ(store.collection("vercel", "deployments"), nullptr);
}

// --- Broken fixtures ---

class TempFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "flake-fixtures-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directory(root_ / "services");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void write(const std::string& name, std::string_view text) {
    std::ofstream out(root_ / "services" / name, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }

  // Loads and expects failure; returns the message.
  std::string load_error() {
    std::string error;
    auto store = FixtureStore::load(root_.string(), error);
    EXPECT_FALSE(store.has_value());
    EXPECT_FALSE(error.empty());
    return error;
  }

  std::optional<FixtureStore> load_ok() {
    std::string error;
    auto store = FixtureStore::load(root_.string(), error);
    EXPECT_TRUE(store.has_value()) << error;
    return store;
  }

  fs::path root_;
};

constexpr std::string_view kMinimal = R"({"dashboard": {"service": "x"}})";

TEST_F(TempFixtures, MissingDirectoryIsAnError) {
  std::string error;
  auto store = FixtureStore::load((root_ / "does-not-exist").string(), error);
  EXPECT_FALSE(store.has_value());
  EXPECT_NE(error.find("does-not-exist"), std::string::npos) << error;
}

TEST_F(TempFixtures, DirectoryWithoutServicesIsAnError) {
  fs::remove(root_ / "services");
  EXPECT_NE(load_error().find("services"), std::string::npos);
}

TEST_F(TempFixtures, NoJsonFilesIsAnError) {
  write("README.md", "not a fixture");
  EXPECT_NE(load_error().find("no *.json"), std::string::npos);
}

TEST_F(TempFixtures, InvalidJsonNamesFileAndPosition) {
  write("good.json", kMinimal);
  write("broken.json", "{\n  \"dashboard\": {\n    \"service\": \"broken\",,\n  }\n}\n");
  const std::string error = load_error();
  EXPECT_NE(error.find("broken.json"), std::string::npos) << error;
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_NE(error.find("column"), std::string::npos) << error;
}

TEST_F(TempFixtures, EmptyFileIsInvalid) {
  write("empty.json", "");
  const std::string error = load_error();
  EXPECT_NE(error.find("empty.json"), std::string::npos) << error;
  EXPECT_NE(error.find("invalid JSON"), std::string::npos) << error;
}

TEST_F(TempFixtures, TrailingDataIsInvalid) {
  write("trailing.json", std::string(kMinimal) + "\n{}");
  std::string error = load_error();
  EXPECT_NE(error.find("trailing.json"), std::string::npos) << error;
  EXPECT_NE(error.find("line 2, column 1"), std::string::npos) << error;

  write("trailing.json", std::string(kMinimal) + std::string("\0garbage", 8));
  error = load_error();
  EXPECT_NE(error.find("after the JSON value"), std::string::npos) << error;
}

TEST_F(TempFixtures, TrailingWhitespaceIsFine) {
  write("ok.json", std::string(kMinimal) + " \r\n\t\n");
  EXPECT_TRUE(load_ok().has_value());
}

TEST_F(TempFixtures, MissingDashboardIsAnError) {
  write("nodash.json", R"({"collections": {"items": []}})");
  const std::string error = load_error();
  EXPECT_NE(error.find("nodash.json"), std::string::npos) << error;
  EXPECT_NE(error.find("dashboard"), std::string::npos) << error;
}

TEST_F(TempFixtures, WrongShapesAreErrors) {
  const struct {
    std::string_view text;
    std::string_view says;
  } cases[] = {
      {R"([1, 2])", "top level"},
      {R"("dashboard")", "top level"},
      {R"({"dashboard": []})", "\"dashboard\" must be an object"},
      {R"({"Dashboard": {}})", "missing \"dashboard\""},  // keys are case-sensitive
      {R"({"dashboard": {}, "collections": []})", "\"collections\" must be an object"},
      {R"({"dashboard": {}, "collections": {"items": {}}})", "collection \"items\""},
  };
  for (const auto& c : cases) {
    write("shape.json", c.text);
    const std::string error = load_error();
    EXPECT_NE(error.find("shape.json"), std::string::npos) << error;
    EXPECT_NE(error.find(c.says), std::string::npos) << c.text << " -> " << error;
  }
}

TEST_F(TempFixtures, CollectionsMayBeAbsent) {
  write("plain.json", kMinimal);
  auto store = load_ok();
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ(store->services(), std::vector<std::string>{"plain"});
  EXPECT_TRUE(cJSON_IsObject(store->dashboard("plain")));
  EXPECT_EQ(store->collection("plain", "anything"), nullptr);
}

TEST_F(TempFixtures, SkipsOtherFilesDotFilesAndDirectories) {
  write("b.json", kMinimal);
  write("a.json", R"({"dashboard": {}, "collections": {"things": [{"id": "1"}]}})");
  write(".#b.json", "editor lock file, not JSON");
  write("notes.txt", "not JSON");
  write("a.json.bak", "not JSON");
  fs::create_directory(root_ / "services" / "subdir.json");
  auto store = load_ok();
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ(store->services(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cJSON_GetArraySize(store->collection("a", "things")), 1);
}

TEST_F(TempFixtures, UnreadableFileIsAnError) {
  write("good.json", kMinimal);
  // A dangling symlink fails to open even for root, unlike chmod 000.
  fs::create_symlink(root_ / "nowhere.json", root_ / "services" / "dangling.json");
  const std::string error = load_error();
  EXPECT_NE(error.find("dangling.json"), std::string::npos) << error;
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
}

TEST_F(TempFixtures, ServiceNamesMustBeMethodPrefixes) {
  write("bad name.json", kMinimal);
  const std::string error = load_error();
  EXPECT_NE(error.find("bad name"), std::string::npos) << error;
}

// §5.2: [a-z][a-z0-9-]*, and "multi" is reserved for the all-services endpoints.
TEST_F(TempFixtures, ServiceNamesAreLowerCaseDigitsAndDashesAfterALetter) {
  for (const std::string bad : {"Vercel", "my_service", "9lives", "-x", "multi", "a.b"}) {
    write(bad + ".json", kMinimal);
    EXPECT_NE(load_error().find(bad), std::string::npos) << bad;
    fs::remove(root_ / "services" / (bad + ".json"));
  }
  write("my-service2.json", kMinimal);
  EXPECT_TRUE(load_ok().has_value());
}

}  // namespace
}  // namespace flake
