// Pagination: walking every page of every collection must return each item once, in order, with
// next null only at the end; every bad parameter must name its field.
#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "reference/rpc/pagination.hpp"
#include "reference/state/fixture_store.hpp"

namespace flake {
namespace {

JsonPtr parse(const char* text) {
  JsonPtr value(cJSON_Parse(text));
  EXPECT_TRUE(value) << text;
  return value;
}

// {"limit"?: limit, "cursor"?: cursor}; a null `cursor` pointer leaves it out.
JsonPtr page_params(std::optional<double> limit, const char* cursor) {
  JsonPtr params(cJSON_CreateObject());
  if (limit) cJSON_AddNumberToObject(params.get(), "limit", *limit);
  if (cursor != nullptr) cJSON_AddStringToObject(params.get(), "cursor", cursor);
  return params;
}

JsonPtr synthetic_list(size_t size) {
  JsonPtr items(cJSON_CreateArray());
  for (size_t i = 0; i < size; ++i) {
    cJSON* item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "id", ("item-" + std::to_string(i)).c_str());
    cJSON_AddNumberToObject(item, "index", static_cast<double>(i));
    cJSON_AddItemToArray(items.get(), item);
  }
  return items;
}

std::vector<std::string> ids_of(const cJSON* items) {
  std::vector<std::string> ids;
  for (const cJSON* item = items->child; item != nullptr; item = item->next) {
    ids.emplace_back(string_member(item, "id").value_or("<no id>"));
  }
  return ids;
}

std::string field_of(const std::variant<PageRequest, PageParamError>& result) {
  if (const auto* error = std::get_if<PageParamError>(&result)) {
    EXPECT_FALSE(error->message.empty());
    return error->field;
  }
  return "<accepted>";
}

std::string error_field(const char* params_json, size_t total) {
  JsonPtr params = parse(params_json);
  return field_of(parse_page_params(params.get(), total, "x"));
}

// A cursor for `offset` in a list of `total` items, obtained the only legitimate way: from a page.
std::string cursor_for(size_t offset, size_t total, std::string_view list = "x") {
  JsonPtr items = synthetic_list(total);
  JsonPtr page = make_page(items.get(), list, PageRequest{offset - 1, 1});
  auto next = string_member(member(page.get(), "pagination"), "next");
  EXPECT_TRUE(next.has_value()) << offset << " of " << total;
  return next ? std::string(*next) : std::string();
}

// Follows "next" from the first page with the given limits (cycled; nullopt = default) and checks
// each page's shape; returns the ids in the order they were served.
std::vector<std::string> walk(const cJSON* items, const char* collection,
                              const std::vector<std::optional<double>>& limits) {
  const size_t total = static_cast<size_t>(cJSON_GetArraySize(items));
  std::vector<std::string> served;
  std::string cursor;
  for (size_t page_number = 0;; ++page_number) {
    if (page_number > total + 1) {
      ADD_FAILURE() << "pagination does not terminate";
      break;
    }
    const std::optional<double> limit = limits[page_number % limits.size()];
    const size_t expected_limit = limit ? static_cast<size_t>(*limit) : kDefaultPageLimit;
    JsonPtr params = page_params(limit, page_number == 0 ? nullptr : cursor.c_str());
    auto request = parse_page_params(params.get(), total, collection);
    if (!std::holds_alternative<PageRequest>(request)) {
      ADD_FAILURE() << "page " << page_number
                    << " refused: " << std::get<PageParamError>(request).message;
      break;
    }
    EXPECT_EQ(std::get<PageRequest>(request).offset, served.size());
    EXPECT_EQ(std::get<PageRequest>(request).limit, expected_limit);

    JsonPtr page = make_page(items, collection, std::get<PageRequest>(request));
    EXPECT_EQ(cJSON_GetArraySize(page.get()), 2);  // the collection and "pagination", nothing else
    const cJSON* list = member(page.get(), collection);
    const cJSON* pagination = member(page.get(), "pagination");
    EXPECT_TRUE(cJSON_IsArray(list));
    EXPECT_TRUE(cJSON_IsObject(pagination));
    if (!cJSON_IsArray(list) || !cJSON_IsObject(pagination)) break;
    const cJSON* total_item = member(pagination, "total");
    EXPECT_TRUE(cJSON_IsNumber(total_item));
    EXPECT_EQ(cJSON_GetNumberValue(total_item), static_cast<double>(total));

    const size_t remaining = total - served.size();
    const size_t page_size = static_cast<size_t>(cJSON_GetArraySize(list));
    EXPECT_EQ(page_size, std::min(expected_limit, remaining));
    // Items are copies equal to the originals, so a handler may hand the page to the transport.
    for (size_t i = 0; i < page_size; ++i) {
      const cJSON* copy = cJSON_GetArrayItem(list, static_cast<int>(i));
      const cJSON* original = cJSON_GetArrayItem(items, static_cast<int>(served.size() + i));
      EXPECT_NE(copy, original);
      EXPECT_TRUE(cJSON_Compare(copy, original, true));
    }
    for (const std::string& id : ids_of(list)) served.push_back(id);

    const cJSON* next = member(pagination, "next");
    const bool last = served.size() == total;
    if (last) {
      EXPECT_TRUE(cJSON_IsNull(next)) << "page " << page_number;
      break;
    }
    EXPECT_TRUE(cJSON_IsString(next)) << "page " << page_number;
    if (!cJSON_IsString(next)) break;
    cursor = next->valuestring;
  }
  return served;
}

void expect_complete(const cJSON* items, const std::vector<std::string>& served) {
  EXPECT_EQ(served, ids_of(items));  // union == collection, in order
  EXPECT_EQ(std::set<std::string>(served.begin(), served.end()).size(), served.size())
      << "duplicates";
}

// Around the default (20), the fixture sizes (23, 41, 137, 250) and the bounds (1, 100).
// clang-format off
const std::vector<std::optional<double>> kLimits = {
    std::nullopt, 1, 2, 3, 7, 19, 20, 21, 22, 23, 24, 40, 41, 42, 50, 99, 100};
// clang-format on

TEST(PaginationWalk, EveryFixtureCollectionWithEveryLimit) {
  std::string error;
  auto store = FixtureStore::load(FLAKE_TEST_FIXTURES, error);
  ASSERT_TRUE(store.has_value()) << error;
  const std::pair<const char*, const char*> collections[] = {
      {"vercel", "deployments"},
      {"vercel", "projects"},
      {"supabase", "databases"},
      {"aws", "instances"},
  };
  for (const auto& [service, name] : collections) {
    const cJSON* items = store->collection(service, name);
    ASSERT_TRUE(cJSON_IsArray(items)) << service << "/" << name;
    for (const auto& limit : kLimits) {
      SCOPED_TRACE(std::string(service) + "/" + name + " limit " +
                   (limit ? std::to_string(static_cast<int>(*limit)) : "default"));
      expect_complete(items, walk(items, name, {limit}));
    }
  }
}

TEST(PaginationWalk, SyntheticSizesAroundTheBoundaries) {
  for (size_t size : {0u, 1u, 2u, 19u, 20u, 21u, 40u, 99u, 100u, 101u, 200u, 201u, 250u}) {
    JsonPtr items = synthetic_list(size);
    for (const auto& limit : kLimits) {
      SCOPED_TRACE("size " + std::to_string(size) + " limit " +
                   (limit ? std::to_string(static_cast<int>(*limit)) : "default"));
      expect_complete(items.get(), walk(items.get(), "things", {limit}));
    }
  }
}

TEST(PaginationWalk, LimitMayChangeBetweenPages) {
  JsonPtr items = synthetic_list(137);
  expect_complete(items.get(), walk(items.get(), "deployments", {1, 100, 7, std::nullopt, 3}));
}

TEST(PaginationWalk, EmptyListHasOnePageWithNullNext) {
  JsonPtr items = synthetic_list(0);
  JsonPtr page = make_page(items.get(), "things", PageRequest{});
  EXPECT_EQ(print_json(page.get()), R"({"things":[],"pagination":{"next":null,"total":0}})");
}

TEST(PaginationParams, DefaultsWhenAbsentOrEmpty) {
  for (const cJSON* params : {static_cast<const cJSON*>(nullptr)}) {
    auto request = parse_page_params(params, 10, "x");
    ASSERT_TRUE(std::holds_alternative<PageRequest>(request));
    EXPECT_EQ(std::get<PageRequest>(request).offset, 0u);
    EXPECT_EQ(std::get<PageRequest>(request).limit, 20u);
  }
  for (const char* text : {"{}", R"({"cursor":null})", R"({"unknown":1,"other":[1]})"}) {
    SCOPED_TRACE(text);
    JsonPtr params = parse(text);
    auto request = parse_page_params(params.get(), 10, "x");
    ASSERT_TRUE(std::holds_alternative<PageRequest>(request));
    EXPECT_EQ(std::get<PageRequest>(request).offset, 0u);
    EXPECT_EQ(std::get<PageRequest>(request).limit, 20u);
  }
}

TEST(PaginationParams, AcceptsLimitsOneToHundred) {
  for (const char* text :
       {R"({"limit":1})", R"({"limit":100})", R"({"limit":1e2})", R"({"limit":50.0})"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(error_field(text, 10), "<accepted>");
  }
}

TEST(PaginationParams, ParamsThatAreNotAnObject) {
  for (const char* text :
       {"[]", "[20]", R"(["p1.0.00000000"])", "null", "true", "20", R"("limit")"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(error_field(text, 10), "params");
  }
}

TEST(PaginationParams, BadLimits) {
  for (const char* text :
       {R"({"limit":0})", R"({"limit":-1})", R"({"limit":-0})", R"({"limit":101})",
        R"({"limit":1000})", R"({"limit":1.5})", R"({"limit":99.999})", R"({"limit":0.5})",
        R"({"limit":1e300})", R"({"limit":-1e300})", R"({"limit":"20"})", R"({"limit":true})",
        R"({"limit":false})", R"({"limit":null})", R"({"limit":[]})", R"({"limit":[20]})",
        R"({"limit":{}})", R"({"limit":0,"cursor":"garbage"})"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(error_field(text, 10), "limit");
  }
}

TEST(PaginationParams, BadCursorTypes) {
  for (const char* text :
       {R"({"cursor":0})", R"({"cursor":20})", R"({"cursor":true})", R"({"cursor":[]})",
        R"({"cursor":{}})", R"({"limit":5,"cursor":["p1.5"]})"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(error_field(text, 10), "cursor");
  }
}

TEST(PaginationParams, ForgedAndMalformedCursors) {
  const size_t total = 137;
  const std::string good = cursor_for(40, total);
  ASSERT_TRUE(good.starts_with("p1.40.")) << good;
  const std::string check = good.substr(6);
  ASSERT_EQ(check.size(), 8u);

  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  // The same checksum in upper case; if it has no letters, a hex digit is made a letter instead.
  std::string upper = "p1.40." + check;
  for (size_t i = 6; i < upper.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  if (upper == good) upper.back() = 'A';

  const std::vector<std::string> bad = {
      "",
      " ",
      "garbage",
      "p1.",
      "p1.40",
      "p1.40.",
      "p1..",
      "p1.." + check,
      "p2.40." + check,   // another version
      "P1.40." + check,   // prefix is case-sensitive
      "p1.41." + check,   // offset edited, checksum kept
      "p1.040." + check,  // the same offset spelled differently
      "p1.+40." + check,
      "p1.-40." + check,
      "p1.4e1." + check,
      "p1. 40." + check,
      "p1.40." + check + " ",
      " " + good,
      good + "0",                       // checksum too long
      good.substr(0, good.size() - 1),  // checksum too short
      flipped,
      upper,  // checksum in upper case
      "p1.40.xyzxyzxy",
      "p1.99999999999999999999." + check,  // would overflow
      "p1.18446744073709551615." + check,  // UINT64_MAX
      "p1.40." + check + ".extra",
      std::string("p1.40.") + check.substr(0, 4) + std::string("\0", 1) + check.substr(5),
      cursor_for(40, 138),       // valid, but for a list of another length
      cursor_for(40, 137, "y"),  // valid, but for another list of the same length (§5.7)
      cursor_for(130, 200),      // valid offset for that list, past the end of this one
  };
  for (const std::string& cursor : bad) {
    SCOPED_TRACE("cursor \"" + cursor + "\"");
    JsonPtr params(cJSON_CreateObject());
    cJSON_AddItemToObject(params.get(), "cursor", cJSON_CreateString(cursor.c_str()));
    EXPECT_EQ(field_of(parse_page_params(params.get(), total, "x")), "cursor");
  }

  // The untouched cursor is accepted, with its offset, whatever the limit.
  JsonPtr params = page_params(7, good.c_str());
  auto request = parse_page_params(params.get(), total, "x");
  ASSERT_TRUE(std::holds_alternative<PageRequest>(request));
  EXPECT_EQ(std::get<PageRequest>(request).offset, 40u);
  EXPECT_EQ(std::get<PageRequest>(request).limit, 7u);
}

TEST(PaginationParams, NoCursorIsValidForAnEmptyList) {
  JsonPtr params = page_params(std::nullopt, cursor_for(1, 2).c_str());
  EXPECT_EQ(field_of(parse_page_params(params.get(), 0, "x")), "cursor");
}

TEST(MakePage, CursorFormatAndContents) {
  JsonPtr items = synthetic_list(5);
  JsonPtr page = make_page(items.get(), "things", PageRequest{0, 2});
  const std::string text = print_json(page.get());
  EXPECT_TRUE(text.starts_with(R"({"things":[{"id":"item-0","index":0},{"id":"item-1","index":1}],)"
                               R"("pagination":{"next":"p1.2.)"))
      << text;
  EXPECT_TRUE(text.ends_with(R"(","total":5}})")) << text;
}

TEST(MakePage, OffsetPastTheEndGivesAnEmptyLastPage) {
  JsonPtr items = synthetic_list(5);
  JsonPtr page = make_page(items.get(), "things", PageRequest{5, 20});
  EXPECT_EQ(print_json(page.get()), R"({"things":[],"pagination":{"next":null,"total":5}})");
  page = make_page(items.get(), "things", PageRequest{500, 20});
  EXPECT_EQ(print_json(page.get()), R"({"things":[],"pagination":{"next":null,"total":5}})");
}

TEST(MakePage, NonArrayItemsAreAnEmptyList) {
  JsonPtr object = parse(R"({"id":"1"})");
  for (const cJSON* items :
       {static_cast<const cJSON*>(nullptr), static_cast<const cJSON*>(object.get())}) {
    JsonPtr page = make_page(items, "things", PageRequest{});
    EXPECT_EQ(print_json(page.get()), R"({"things":[],"pagination":{"next":null,"total":0}})");
  }
}

TEST(MakePage, OutOfRangeLimitsAreClamped) {
  JsonPtr items = synthetic_list(250);
  JsonPtr page = make_page(items.get(), "things", PageRequest{0, 0});
  EXPECT_EQ(cJSON_GetArraySize(member(page.get(), "things")), 1);
  EXPECT_TRUE(
      string_member(member(page.get(), "pagination"), "next").value_or("").starts_with("p1.1."));
  page = make_page(items.get(), "things", PageRequest{0, 1000});
  EXPECT_EQ(cJSON_GetArraySize(member(page.get(), "things")), 100);
  EXPECT_TRUE(
      string_member(member(page.get(), "pagination"), "next").value_or("").starts_with("p1.100."));
}

}  // namespace
}  // namespace flake
