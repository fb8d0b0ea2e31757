// Companion programs found beside the running executable: an installed flake-conform starts the
// flake-sidecar of its own package, whatever build tree it was made in.
#include "conformance/harness/target/tool_path.hpp"

#include <limits.h>
#include <unistd.h>

#include <utility>

namespace flake::conform {

std::string executable_dir() {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return {};
  const std::string path(buffer, static_cast<std::size_t>(n));
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string program_in(const std::string& dir, std::string_view name, std::string fallback) {
  if (dir.empty()) return fallback;
  std::string candidate = dir + "/" + std::string(name);
  return ::access(candidate.c_str(), X_OK) == 0 ? candidate : std::move(fallback);
}

std::string companion_program(std::string_view name, std::string build_tree_path) {
  return program_in(executable_dir(), name, std::move(build_tree_path));
}

}  // namespace flake::conform
