// --annotations github: GitHub Actions workflow commands, which the runner turns into annotations
// on the job page and the pull request: "::error title=ID::message" per case that fails the run,
// "::warning ..." per SHOULD failure that does not.
#include "conformance/client/utf8.hpp"
#include "conformance/harness/report/report.hpp"
#include "conformance/harness/report/text.hpp"

namespace flake::conform {
namespace {

// An annotation is read at a glance; the reports hold the rest.
constexpr std::size_t kOutcomeChars = 500;
constexpr std::size_t kShownPerKind = 10;

// The runner decodes %25, %0D and %0A in a command's message, so each '%' and line break is written
// that way: the command stays on one line and '%' survives.
std::string command_data(std::string_view raw) {
  std::string out;
  for (const char ch : escape_invalid_utf8(raw)) {
    switch (ch) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// In a property value ':' would end the properties and ',' start the next one.
std::string command_property(std::string_view raw) {
  std::string out;
  for (const char ch : command_data(raw)) {
    if (ch == ':') {
      out += "%3A";
    } else if (ch == ',') {
      out += "%2C";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string message(const CaseResult& r, bool strict) {
  const Outcome& o = r.outcome;
  std::string m = "[" + std::string(to_string(r.c->tier)) + "] " + r.c->requirement + "\n";
  switch (o.status) {
    case Status::Pass:
      return m + "listed in --expected-failures but passed: remove it from the list";
    case Status::Unimplemented:
      return m + "unimplemented (fails the run with --strict): " + o.reason;
    default:
      break;
  }
  m += "expected: " + shorten(o.expected, kOutcomeChars) +
       "\nactual: " + shorten(o.actual, kOutcomeChars);
  if (!fails_run(r, strict)) {
    m += "\n(a SHOULD-tier failure: it fails the run only with --strict)";
  }
  return m;
}

}  // namespace

void print_github_annotations(std::FILE* out, const std::vector<CaseResult>& results, bool strict) {
  std::size_t errors = 0;
  std::size_t warnings = 0;
  for (const auto& r : results) {
    const char* level = nullptr;
    if (fails_run(r, strict)) {
      level = "error";
      ++errors;
    } else if (r.outcome.status == Status::Fail && !r.expected_failure) {
      level = "warning";  // a SHOULD failure without --strict: the run passes
      ++warnings;
    }
    if (level == nullptr) continue;
    std::fprintf(out, "::%s title=%s::%s\n", level, command_property(r.c->id).c_str(),
                 command_data(message(r, strict)).c_str());
  }
  // GitHub shows 10 annotations of each kind per step and drops the rest without a word.
  if (errors > kShownPerKind || warnings > kShownPerKind) {
    std::fprintf(out,
                 "::notice title=flake-conform::%zu errors and %zu warnings in all; GitHub shows "
                 "%zu of each per step. The console's Failures block, --summary and the reports "
                 "list every one.\n",
                 errors, warnings, kShownPerKind);
  }
  std::fflush(out);
}

}  // namespace flake::conform
