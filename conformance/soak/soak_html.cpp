// The soak report as one self-contained HTML page.
#include "conformance/soak/soak_report.hpp"

namespace flake::conform::soak {

bool write_html(const std::string& path, const SoakReport&, std::string& error) {
  error = "HTML report not written yet: " + path;
  return false;
}

}  // namespace flake::conform::soak
