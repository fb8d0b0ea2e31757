// Loading and lookup of the service fixtures. Everything is checked at start, so a broken fixture
// stops the sidecar with a precise message instead of surfacing later as odd RPC results.
#include "reference/state/fixture_store.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace flake {

namespace {

namespace fs = std::filesystem;

// §5.2: [a-z][a-z0-9-]*; "multi" names the all-services endpoints (§1.3), never a service.
bool valid_service_name(std::string_view name) {
  return !name.empty() && name[0] >= 'a' && name[0] <= 'z' && name != "multi" &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Humans fix files by line and column; the byte offset helps with tools such as `head -c`.
std::string describe_position(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t line_start = before.rfind('\n');
  const size_t column = offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
         std::to_string(offset) + ")";
}

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// One JSON value and nothing after it. cJSON's own require_null_terminated check is not used: it
// would accept a value followed by a NUL byte and garbage, and in 1.7.x it misbehaves with an
// explicit length.
JsonPtr parse_file(const std::string& text, std::string& why) {
  const char* end = nullptr;
  JsonPtr value(cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false));
  if (!value) {
    const size_t at = end != nullptr ? static_cast<size_t>(end - text.data()) : 0;
    why = "invalid JSON near " + describe_position(text, at);
    return nullptr;
  }
  size_t at = static_cast<size_t>(end - text.data());
  while (at < text.size() && is_json_space(text[at])) ++at;
  if (at != text.size()) {
    why = "unexpected data after the JSON value at " + describe_position(text, at);
    return nullptr;
  }
  return value;
}

// Empty when the tree has the shape every handler relies on, else what is wrong with it.
std::string check_shape(const cJSON* root) {
  if (!cJSON_IsObject(root)) return "the top level must be an object";
  const cJSON* dashboard = member(root, "dashboard");
  if (dashboard == nullptr) return "missing \"dashboard\"";
  if (!cJSON_IsObject(dashboard)) return "\"dashboard\" must be an object";
  const cJSON* collections = member(root, "collections");
  if (collections == nullptr) return {};
  if (!cJSON_IsObject(collections)) return "\"collections\" must be an object";
  for (const cJSON* c = collections->child; c != nullptr; c = c->next) {
    if (!cJSON_IsArray(c)) return "collection \"" + std::string(c->string) + "\" must be an array";
  }
  return {};
}

}  // namespace

std::optional<FixtureStore> FixtureStore::load(const std::string& fixtures_dir,
                                               std::string& error) {
  const fs::path dir = fs::path(fixtures_dir) / "services";
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    error = "cannot read fixture directory " + dir.string() + ": " + ec.message();
    return std::nullopt;
  }

  FixtureStore store;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;  // not every implementation turns a failed increment into the end iterator
    const fs::path& path = it->path();
    const std::string file_name = path.filename().string();
    if (path.extension() != ".json" || file_name.starts_with('.')) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;

    const std::string service = path.stem().string();
    if (!valid_service_name(service)) {
      error = path.string() + ": service name \"" + service +
              "\" must match [a-z][a-z0-9-]* and not be \"multi\" (docs/protocol.md §5.2)";
      return std::nullopt;
    }
    std::string text;
    if (!read_file(path, text)) {
      error = path.string() + ": cannot read file";
      return std::nullopt;
    }
    std::string why;
    JsonPtr tree = parse_file(text, why);
    if (tree) why = check_shape(tree.get());
    if (!why.empty()) {
      error = path.string() + ": " + why;
      return std::nullopt;
    }
    store.trees_.emplace(service, std::move(tree));
  }
  if (ec) {
    error = "cannot list fixture directory " + dir.string() + ": " + ec.message();
    return std::nullopt;
  }
  if (store.trees_.empty()) {
    error = "no *.json fixture files in " + dir.string();
    return std::nullopt;
  }
  for (const auto& [name, tree] : store.trees_) store.names_.push_back(name);
  return store;
}

const cJSON* FixtureStore::root(std::string_view service) const {
  auto it = trees_.find(service);
  return it == trees_.end() ? nullptr : it->second.get();
}

const cJSON* FixtureStore::dashboard(std::string_view service) const {
  return member(root(service), "dashboard");
}

const cJSON* FixtureStore::collection(std::string_view service, std::string_view name) const {
  // A linear, case-sensitive walk: `name` need not be NUL-terminated, and there are few members.
  const cJSON* collections = member(root(service), "collections");
  for (const cJSON* c = collections != nullptr ? collections->child : nullptr; c != nullptr;
       c = c->next) {
    if (c->string != nullptr && name == c->string) return c;
  }
  return nullptr;
}

bool FixtureStore::has_service(std::string_view service) const {
  return trees_.contains(service);
}

}  // namespace flake
