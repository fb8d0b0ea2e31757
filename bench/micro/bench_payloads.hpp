// Messages the benchmarks share: a typical request, a fixture dashboard response and a large
// logs.update page, built once so the timed loops measure only the code under test.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "reference/codec/json.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/state/fixture_store.hpp"

namespace flake::bench {

inline constexpr const char* kTypicalRequest =
    R"({"jsonrpc":"2.0","method":"vercel.getDeployments","params":{"limit":20},"id":42})";

inline JsonPtr parse_or_throw(const std::string& text) {
  ParseResult r = parse_json(text);
  if (!r.value) throw std::runtime_error("bench payload does not parse: " + r.error);
  return std::move(r.value);
}

inline FixtureStore load_fixtures() {
  std::string error;
  auto store = FixtureStore::load(FLAKE_BENCH_FIXTURES, error);
  if (!store) throw std::runtime_error("fixtures: " + error);
  return std::move(*store);
}

// {"jsonrpc":"2.0","id":1,"result":<vercel dashboard>}, as vercel.getDashboard answers.
inline JsonPtr dashboard_response() {
  FixtureStore store = load_fixtures();
  JsonPtr response(cJSON_CreateObject());
  cJSON_AddStringToObject(response.get(), "jsonrpc", "2.0");
  cJSON_AddNumberToObject(response.get(), "id", 1);
  cJSON_AddItemToObject(response.get(), "result", clone(store.dashboard("vercel")).release());
  return response;
}

// `count` log entries shaped like the live generator's (§6 logs.update), in a cJSON array.
inline JsonPtr log_entries(size_t count) {
  static constexpr const char* kLevels[] = {"debug", "info", "warn", "error"};
  JsonPtr entries(cJSON_CreateArray());
  for (size_t n = 0; n < count; ++n) {
    cJSON* e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "ts", 1'764'000'000'000.0 + static_cast<double>(n));
    cJSON_AddStringToObject(e, "level", kLevels[n % 4]);
    const std::string message =
        "GET /api/deployments/" + std::to_string(n) + " 200 in " + std::to_string(n % 97) + "ms";
    cJSON_AddStringToObject(e, "message", message.c_str());
    cJSON_AddStringToObject(e, "source", "edge-function");
    cJSON_AddItemToArray(entries.get(), e);
  }
  return entries;
}

// A logs.update notification carrying `count` entries.
inline JsonPtr log_page(size_t count) {
  JsonPtr note(cJSON_CreateObject());
  cJSON_AddStringToObject(note.get(), "jsonrpc", "2.0");
  cJSON_AddStringToObject(note.get(), "method", "logs.update");
  cJSON* params = cJSON_AddObjectToObject(note.get(), "params");
  cJSON_AddStringToObject(params, "subscription", "sub-1");
  cJSON_AddStringToObject(params, "service", "vercel");
  cJSON_AddNumberToObject(params, "seq", 1);
  cJSON_AddItemToObject(params, "entries", log_entries(count).release());
  return note;
}

}  // namespace flake::bench
