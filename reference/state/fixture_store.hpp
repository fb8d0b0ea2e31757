// The reference sidecar's stand-in for cloud APIs: fixtures/services/*.json, loaded once at start
// and read-only afterwards, so handlers can use pointers into it without copying or locking.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/codec/json.hpp"

namespace flake {

class FixtureStore {
 public:
  FixtureStore() = default;  // no services; load() is the normal way to get one
  FixtureStore(FixtureStore&&) noexcept = default;
  FixtureStore& operator=(FixtureStore&&) noexcept = default;
  FixtureStore(const FixtureStore&) = delete;
  FixtureStore& operator=(const FixtureStore&) = delete;

  // Loads every <fixtures_dir>/services/*.json; the file name without ".json" is the service name.
  // Fails (and says why in `error`, naming the file, with cJSON's error position as line:column)
  // when the directory cannot be read or has no *.json file, a file is unreadable or not exactly
  // one JSON value, the top level is not an object, "dashboard" is missing or not an object,
  // "collections" is present but not an object of arrays, or a name is not [A-Za-z0-9_-]+ (it
  // becomes a method prefix). Dot files (editor backups) and directories are skipped.
  static std::optional<FixtureStore> load(const std::string& fixtures_dir, std::string& error);

  // Pointers stay valid for the store's lifetime, also across a move of the store.
  // nullptr for an unknown service.
  const cJSON* dashboard(std::string_view service) const;
  // The array, or nullptr for an unknown service or collection; names are case-sensitive.
  const cJSON* collection(std::string_view service, std::string_view name) const;
  bool has_service(std::string_view service) const;
  const std::vector<std::string>& services() const { return names_; }  // sorted

 private:
  const cJSON* root(std::string_view service) const;

  std::map<std::string, JsonPtr, std::less<>> trees_;
  std::vector<std::string> names_;
};

}  // namespace flake
