// Target: the reference's strict JSON parser (parse_json, reference/json_parse.hpp), the parser of
// every text message and REST body. Properties: it accepts nothing its pre-scan rejects, and what
// it accepts prints as JSON it accepts again and that prints identically.
#include "fuzz_check.hpp"
#include "reference/codec/json.hpp"
#include "reference/codec/json_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace flake;
  const std::string_view text = fuzz::as_text(data, size);
  const ParseResult first = parse_json(text);
  FLAKE_FUZZ_CHECK((first.value != nullptr) == first.error.empty());
  if (!first.value) return 0;
  FLAKE_FUZZ_CHECK(scan_json(text, kMaxJsonDepth) == ScanError::kNone);
  const std::string printed = print_json(first.value.get());
  const ParseResult second = parse_json(printed);
  FLAKE_FUZZ_CHECK(second.value != nullptr);
  FLAKE_FUZZ_CHECK(print_json(second.value.get()) == printed);
  return 0;
}
