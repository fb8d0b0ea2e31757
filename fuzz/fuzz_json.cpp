// Target: the reference's strict JSON parser (parse_json, reference/json_parse.hpp), the parser of
// every text message and REST body. Properties: it accepts nothing its pre-scan rejects, and what
// it accepts prints as JSON it accepts again and that prints identically; print_json prints every
// tree it parses, also lenient cJSON's and MessagePack's, byte for byte as cJSON_PrintUnformatted.
#include <cJSON.h>

#include <memory>
#include <string>

#include "fuzz_check.hpp"
#include "reference/codec/json.hpp"
#include "reference/codec/json_parse.hpp"
#include "reference/codec/msgpack.hpp"

namespace {

// print_json and print_json_to against cJSON's printer: the same text, or all fail.
void check_prints_as_cjson(const cJSON* value) {
  std::unique_ptr<char, flake::CjsonFree> expected(cJSON_PrintUnformatted(value));
  std::string appended = "pad";
  const bool ok = flake::print_json_to(value, appended);
  FLAKE_FUZZ_CHECK(ok == (expected != nullptr));
  if (!expected) {
    FLAKE_FUZZ_CHECK(appended == "pad" && flake::print_json(value).empty());
    return;
  }
  FLAKE_FUZZ_CHECK(appended.compare(3, std::string::npos, expected.get()) == 0);
  FLAKE_FUZZ_CHECK(flake::print_json(value) == expected.get());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace flake;
  const std::string_view text = fuzz::as_text(data, size);
  // cJSON alone accepts more (raw control characters, numbers such as 1. or 1e999, deep nesting),
  // and the MessagePack decoder makes floats and trees JSON text cannot write.
  if (const JsonPtr lenient{cJSON_ParseWithLength(text.data(), text.size())}) {
    check_prints_as_cjson(lenient.get());
  }
  MsgpackLeniency loose;
  loose.ignore_trailing = loose.ext_as_string = loose.mark_floats = true;
  if (const MsgpackDecodeResult decoded = decode_msgpack(text, kMaxJsonDepth, loose);
      decoded.value) {
    check_prints_as_cjson(decoded.value.get());
  }
  const ParseResult first = parse_json(text);
  FLAKE_FUZZ_CHECK((first.value != nullptr) == first.error.empty());
  if (!first.value) return 0;
  FLAKE_FUZZ_CHECK(scan_json(text, kMaxJsonDepth) == ScanError::kNone);
  mark_float_forms(text, first.value.get());
  check_prints_as_cjson(first.value.get());
  const std::string printed = print_json(first.value.get());
  const ParseResult second = parse_json(printed);
  FLAKE_FUZZ_CHECK(second.value != nullptr);
  FLAKE_FUZZ_CHECK(print_json(second.value.get()) == printed);
  return 0;
}
