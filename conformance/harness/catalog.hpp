// The case catalogue: every conformance case with its stable ID "<N.M>/<k>" (N.M = the rule's
// subsection in docs/protocol.md), tier, group, the requirement in one sentence, and its code.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flake::conform {

enum class Tier { Must, Should, Perf };
enum class Group {
#define FLAKE_GROUP(enumerator, name) enumerator,
#include "conformance/harness/groups.def"
#undef FLAKE_GROUP
};
enum class Status { Pass, Fail, Unimplemented, Skipped };
// The paths one JSON-RPC semantics travels (docs/protocol.md §2.2 text frames, §2.3 MessagePack
// binary frames, §9.7 POST /api/v1/rpc), and for notifications the SSE streams (§9.12). A case
// declaring several paths runs once per path: the text cell keeps the case's ID, the others append
// "@msgpack" / "@http" / "@sse".
enum class Path { Text, MsgPack, Http, Sse };
inline constexpr std::array<Path, 4> kPaths = {Path::Text, Path::MsgPack, Path::Http, Path::Sse};

std::string_view to_string(Tier tier);
std::string_view to_string(Group group);
std::string_view to_string(Status status);
std::string_view to_string(Path path);
std::optional<Path> parse_path(std::string_view name);
std::optional<Group> parse_group(std::string_view name);
const std::vector<Group>& all_groups();

// One point of a measured distribution: the samples' value at a percentile (nearest rank).
struct Quantile {
  double percentile = 0;  // 0 is the smallest sample, 100 the largest
  double value = 0;
};

// What a PERF case measured, judged against its bar, for the reports' plots. Plain data: the case
// fills it, the runner carries it, the reports draw and list it.
struct Measurement {
  std::string name;                 // "system.ping round trip"
  std::string unit;                 // "ms", "requests/s", "MiB"
  std::vector<Quantile> quantiles;  // the distribution, ascending; empty for one aggregate value
  double value = 0;  // the judged value: the quantile at `percentile`, or the aggregate
  std::optional<double> percentile;  // the percentile the bar applies to; unset for an aggregate
  double bar = 0;
  bool below = true;  // the value must stay below the bar (a latency); false: above (a rate)
};
// Whether the judged value misses the bar.
bool misses_bar(const Measurement& m);

struct Outcome {
  Status status = Status::Pass;
  std::string expected;                    // Fail
  std::string actual;                      // Fail
  std::string reason;                      // Unimplemented / Skipped
  std::string detail;                      // Pass: a measurement worth showing (PERF cases)
  std::optional<Measurement> measurement;  // PERF cases, passed or failed
};

Outcome pass();
Outcome pass(std::string detail);
Outcome fail(std::string expected, std::string actual);
Outcome unimplemented(std::string reason);
Outcome skipped(std::string reason);

// Thrown by the expect helpers; the runner turns it into the case's outcome.
struct OutcomeError {
  Outcome outcome;
};

class CaseContext;

// One case, declared where its code is (h2spec's {Desc, Requirement, Run}), with designated
// initializers in this order: .id, .tier, .group (only where it differs from the section's),
// .requirement, .paths, .budget, .stops_sidecar, .timing, .run.
struct Case {
  std::string id;
  Tier tier = Tier::Must;
  // Unset: the group of the case's section (section_group). Set only as a named exception.
  std::optional<Group> group;
  std::string requirement;
  // The rule IDs of docs/protocol.md this case checks ("2.9a"): the case fails when the sidecar
  // (or client) breaks any one of them. The coverage matrix (--coverage) is built from these.
  std::vector<std::string> rules;
  // Empty: a case of one path (whatever it opens itself). Otherwise the case is written against
  // open_rpc_path(ctx) and the catalogue adds one cell per path (see Path).
  std::vector<Path> paths;
  // Wall-clock budget; every wait inside the case is bounded by it as well.
  std::chrono::milliseconds budget{10000};
  // Ends the sidecar on purpose (graceful shutdown): runs after every other case.
  bool stops_sidecar = false;
  // Judged against a wall clock (a ping interval, an expiry, a deadline): on a busy machine it can
  // fail once for want of CPU, so a failure runs again once before it counts (timing_dependent).
  bool timing = false;
  std::function<Outcome(CaseContext&)> run;

  // Set by the catalogue for each cell of a path-generic case.
  Path path = Path::Text;
  std::string rule_id;  // the ID without "@path" (equal to id for other cases)
};

// The group a case ID's section belongs to: the longest matching entry of the section table
// (catalog.cpp), e.g. "4.11/2" -> Sse, "4.6/1" -> Auth.
Group section_group(std::string_view id);
// The case's group: its named exception, else its section's.
Group group_of(const Case& c);
// Whether a failure of the case runs it again once: a case declared .timing, and every case of the
// PERF group, whose bars are all wall-clock measurements.
bool timing_dependent(const Case& c);

// Why a rule of docs/protocol.md has no case: declared in the case file of its section, so that
// the coverage matrix (--coverage) maps every rule to cases or to one of these.
enum class Why {
  Untestable,  // cannot be observed from outside the implementation through any transport
  Contract,    // binds the suite or the test driver, which the run itself exercises
  Gap,         // testable, no case yet: the reason says what a case needs
};
std::string_view to_string(Why why);

struct Explanation {
  std::string rule;  // "2.9a"
  Why why = Why::Untestable;
  std::string reason;
};

class Catalog {
 public:
  // Declares that `e.rule` is not checked by any case of this catalogue, and why.
  void explain(Explanation e) { explanations_.push_back(std::move(e)); }
  const std::vector<Explanation>& explanations() const { return explanations_; }
  // A case with paths becomes one cell per path (IDs "N.M/k", "N.M/k@msgpack", "N.M/k@http").
  void add(Case c);
  const std::vector<Case>& cases() const { return cases_; }
  // In report order: by group, then by ID with numeric parts compared as numbers.
  std::vector<const Case*> ordered() const;

 private:
  std::vector<Case> cases_;
  std::vector<Explanation> explanations_;
};

// "3.1/2" < "3.10/1": numeric runs compare as numbers.
bool id_less(std::string_view a, std::string_view b);
// The rules a case checks as reports cite them: "§2.9a, §2.9b" (empty when it names none);
// `sign` replaces the section sign (the console of an ASCII locale cites "2.9a").
std::string rules_text(const Case& c, std::string_view sign = "§");
// A selector matches an ID exactly, an ID prefix ending at a '.' or '/' boundary, or a group name;
// "ID@path" matches one cell of a path-generic case and "@path" every cell of that path (a bare ID
// or prefix matches every path's cell).
bool selector_matches(std::string_view selector, const Case& c);
// The cases of `catalog`, in report order, that match some `select` selector (all when there is
// none) and no `exclude` selector.
std::vector<const Case*> select_cases(const Catalog& catalog,
                                      const std::vector<std::string>& select,
                                      const std::vector<std::string>& exclude);
// What to tell a user whose selection left no case (exit 3): the --select selectors that match no
// case of `catalog` (or that --exclude left none), then what does exist there to select: the
// groups, the top-level sections of the IDs and the paths. Several lines, no trailing newline.
std::string no_match_text(const Catalog& catalog, const std::vector<std::string>& select);

}  // namespace flake::conform
