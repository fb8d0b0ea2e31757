// The catalogue and CLI plumbing: unique well-formed IDs, ordering, selectors and what an empty
// selection tells, option parsing, outcome tallies and the report files.
#include "conformance/harness/catalog.hpp"
#include "conformance/cases/cases.hpp"
#include "conformance/client_cases/client_cases.hpp"
#include "conformance/harness/options.hpp"
#include "conformance/harness/report/report.hpp"
#include "conformance/harness/runner.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace flake::conform {
namespace {

TEST(Catalog, IdsAreUniqueWellFormedAndQuoteARequirement) {
  const Catalog catalog = build_catalog();
  ASSERT_GT(catalog.cases().size(), 50u);
  std::set<std::string> ids;
  const std::regex shape(R"([1-9][0-9]?\.[1-9][0-9]?/[1-9][0-9]*(@msgpack|@http|@sse)?)");
  for (const auto& c : catalog.cases()) {
    EXPECT_TRUE(std::regex_match(c.id, shape)) << c.id;
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate " << c.id;
    EXPECT_FALSE(c.requirement.empty()) << c.id;
    EXPECT_EQ(c.requirement.back(), '.') << c.id << ": one sentence";
    EXPECT_TRUE(static_cast<bool>(c.run)) << c.id;
    EXPECT_GT(c.budget.count(), 0) << c.id;
    if (c.tier == Tier::Perf) {
      EXPECT_EQ(group_of(c), Group::Performance) << c.id;
    }
  }
}

TEST(Catalog, NumericIdOrder) {
  EXPECT_TRUE(id_less("3.2/1", "3.10/1"));
  EXPECT_TRUE(id_less("3.4/9", "3.4/10"));
  EXPECT_FALSE(id_less("3.10/1", "3.2/1"));
  EXPECT_TRUE(id_less("2.9/3", "10.3/1"));
  EXPECT_FALSE(id_less("4.1/1", "4.1/1"));
  const Catalog catalog = build_catalog();
  const auto ordered = catalog.ordered();
  for (std::size_t i = 1; i < ordered.size(); ++i) {
    const Case& a = *ordered[i - 1];
    const Case& b = *ordered[i];
    if (a.stops_sidecar || b.stops_sidecar) {
      EXPECT_TRUE(b.stops_sidecar) << a.id << " must run after " << b.id;
      continue;
    }
    EXPECT_TRUE(group_of(a) < group_of(b) || (group_of(a) == group_of(b) && id_less(a.id, b.id)))
        << a.id << " before " << b.id;
  }
}

TEST(Catalog, GroupFromSection) {
  EXPECT_EQ(section_group("4.6/1"), Group::Auth);
  EXPECT_EQ(section_group("4.11/2"), Group::Sse);
  EXPECT_EQ(section_group("4.1/1"), Group::Auth);
  EXPECT_EQ(section_group("9.1/1"), Group::Rest);
  EXPECT_EQ(section_group("9.12/1"), Group::Sse);
  EXPECT_EQ(section_group("10.3/1"), Group::Performance);
  Case c;
  c.id = "2.8/3";
  EXPECT_EQ(group_of(c), Group::Core);
  c.group = Group::MsgPack;  // a named exception wins
  EXPECT_EQ(group_of(c), Group::MsgPack);
}

// Named exceptions are for cases whose group differs from their section's: one that names its
// section's own group says nothing and should not be written.
TEST(Catalog, ExceptionsDiffer) {
  const Catalog catalog = build_catalog();
  for (const auto& c : catalog.cases()) {
    if (c.group) {
      EXPECT_NE(*c.group, section_group(c.id)) << c.id;
    }
  }
}

TEST(Catalog, Selectors) {
  Case c;
  c.id = "3.4/2";
  c.group = Group::Core;
  EXPECT_TRUE(selector_matches("3.4/2", c));
  EXPECT_TRUE(selector_matches("3.4", c));
  EXPECT_TRUE(selector_matches("3.4/", c));
  EXPECT_TRUE(selector_matches("3", c));
  EXPECT_TRUE(selector_matches("3.", c));
  EXPECT_TRUE(selector_matches("core", c));
  EXPECT_FALSE(selector_matches("3.4/20", c));
  EXPECT_FALSE(selector_matches("3.40", c));
  EXPECT_FALSE(selector_matches("3.4/2x", c));
  EXPECT_FALSE(selector_matches("auth", c));
  EXPECT_FALSE(selector_matches("", c));
  c.id = "3.40/1";
  EXPECT_FALSE(selector_matches("3.4", c));
  EXPECT_TRUE(parse_group("large-data").has_value());
  EXPECT_FALSE(parse_group("nope").has_value());
}

// A case with paths becomes one cell per path: the text cell keeps the ID, the others carry the
// path; selectors name one cell, one path, or (bare) every path's cell.
TEST(Catalog, PathCells) {
  Catalog catalog;
  catalog.add({.id = "3.4/7",
               .requirement = "A rule on every path.",
               .paths = {Path::Text, Path::MsgPack, Path::Http},
               .run = [](CaseContext&) { return pass(); }});
  catalog.add(
      {.id = "3.4/9", .requirement = "A socket case.", .run = [](CaseContext&) { return pass(); }});
  std::vector<std::string> ids;
  for (const Case& c : catalog.cases()) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"3.4/7", "3.4/7@msgpack", "3.4/7@http", "3.4/9"}));
  const Case& text = catalog.cases()[0];
  const Case& msgpack = catalog.cases()[1];
  const Case& http = catalog.cases()[2];
  const Case& plain = catalog.cases()[3];
  EXPECT_EQ(msgpack.path, Path::MsgPack);
  EXPECT_EQ(msgpack.rule_id, "3.4/7");
  EXPECT_EQ(plain.rule_id, "3.4/9");
  for (const Case* c : {&text, &msgpack, &http}) {
    EXPECT_TRUE(selector_matches("3.4/7", *c)) << c->id;
    EXPECT_TRUE(selector_matches("3.4", *c)) << c->id;
    EXPECT_TRUE(selector_matches("core", *c)) << c->id;
  }
  EXPECT_TRUE(selector_matches("3.4/7@http", http));
  EXPECT_FALSE(selector_matches("3.4/7@http", msgpack));
  EXPECT_FALSE(selector_matches("3.4/7@http", text));
  EXPECT_TRUE(selector_matches("@msgpack", msgpack));
  EXPECT_FALSE(selector_matches("@msgpack", http));
  EXPECT_TRUE(selector_matches("3@text", text));
  EXPECT_FALSE(selector_matches("3@text", msgpack));
  // Path selectors name cells of path-generic rules only; an unknown path matches nothing.
  EXPECT_FALSE(selector_matches("3.4/9@text", plain));
  EXPECT_FALSE(selector_matches("3.4/7@sse", text));  // the rule has no SSE cell
  EXPECT_FALSE(selector_matches("3.4/7@tcp", text));
  EXPECT_TRUE(id_less("3.4/7", "3.4/7@http"));
  EXPECT_TRUE(parse_path("msgpack").has_value());
  EXPECT_EQ(parse_path("sse"), Path::Sse);
  EXPECT_FALSE(parse_path("tcp").has_value());
}

TEST(Catalog, AnEmptySelectionNamesWhatThereIs) {
  const Catalog catalog = build_catalog();
  const std::string text = no_match_text(catalog, {"99.99", "auth"});
  EXPECT_NE(text.find("\"99.99\" matches no case"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"auth\""), std::string::npos) << text;  // it matches
  for (const char* what : {"groups:", "core, auth, security", "performance", "sections:",
                           "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14 ", "\"1.1/1\"", "@text, @msgpack"}) {
    EXPECT_NE(text.find(what), std::string::npos) << what << " in\n" << text;
  }
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // the first line quotes the selectors
  while (std::getline(lines, line)) EXPECT_LE(line.size(), 100u) << line;
  EXPECT_NE(no_match_text(catalog, {"3"}).find("--exclude left none"), std::string::npos);
  EXPECT_NE(no_match_text(catalog, {"x", "y"}).find("\"x\", \"y\" match no"), std::string::npos);

  const Catalog client = client::build_client_catalog(client::ClientSetup{});
  const std::string client_text = no_match_text(client, {"C99"});
  EXPECT_NE(client_text.find("groups:   client\n"), std::string::npos) << client_text;
  EXPECT_NE(client_text.find("sections: C1, C2, C3"), std::string::npos) << client_text;
  EXPECT_EQ(client_text.find("paths:"), std::string::npos) << client_text;
}

ParsedOptions parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  args.insert(args.begin(), "flake-conform");
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data(), "/default/sidecar");
}

TEST(Options, Parsing) {
  auto p = parse({"ws://127.0.0.1:9123/rpc", "--token", "t", "-s", "3", "--select", "auth",
                  "--exclude", "3.4/7", "--strict", "-v", "--timeout", "750", "--json", "r.json",
                  "--junit", "r.xml", "--expected-failures", "xf"});
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.url, "ws://127.0.0.1:9123/rpc");
  EXPECT_EQ(p.options.token.value_or(""), "t");
  EXPECT_EQ(p.options.select, (std::vector<std::string>{"3", "auth"}));
  EXPECT_EQ(p.options.exclude, (std::vector<std::string>{"3.4/7"}));
  EXPECT_TRUE(p.options.strict);
  EXPECT_TRUE(p.options.verbose);
  EXPECT_EQ(p.options.timeout.count(), 750);
  EXPECT_EQ(p.options.json_file.value_or(""), "r.json");
  EXPECT_EQ(p.options.junit_file.value_or(""), "r.xml");
  EXPECT_EQ(p.options.expected_failures_file.value_or(""), "xf");

  p = parse({"--reference"});
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.sidecar_bin, "/default/sidecar");
  p = parse({"--reference", "--sidecar-bin", "/x/flake-sidecar"});
  EXPECT_EQ(p.options.sidecar_bin, "/x/flake-sidecar");
  p = parse({"--reference", "--sidecar-arg", "--rate", "--sidecar-arg", "1000"});
  EXPECT_EQ(p.options.sidecar_args, (std::vector<std::string>{"--rate", "1000"}));
  p = parse({"--spawn", "sidecar --port {port}", "--token-file", "f"});
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.spawn.value_or(""), "sidecar --port {port}");
  EXPECT_TRUE(parse({"--list"}).error.empty());
  EXPECT_TRUE(parse({"--help"}).options.help);
}

TEST(Options, ValuesJoinedOrGlued) {
  auto p =
      parse({"--reference", "--select=3", "-s3.5", "-xauth", "--exclude=3.4/7", "--timeout=750",
             "--json=r.json", "--sidecar-bin=/x/sidecar", "--sidecar-arg=--rate", "--strict"});
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.select, (std::vector<std::string>{"3", "3.5"}));
  EXPECT_EQ(p.options.exclude, (std::vector<std::string>{"auth", "3.4/7"}));
  EXPECT_EQ(p.options.timeout.count(), 750);
  EXPECT_EQ(p.options.json_file.value_or(""), "r.json");
  EXPECT_EQ(p.options.sidecar_bin, "/x/sidecar");
  EXPECT_EQ(p.options.sidecar_args, (std::vector<std::string>{"--rate"}));
  // The value is everything after the first '='.
  p = parse({"--spawn=sidecar --port {port} --x=1", "--token=a=b"});
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.options.spawn.value_or(""), "sidecar --port {port} --x=1");
  EXPECT_EQ(p.options.token.value_or(""), "a=b");
  // As getopt reads "-s=3": the value is "=3".
  EXPECT_EQ(parse({"--list", "-s=3"}).options.select, (std::vector<std::string>{"=3"}));
  EXPECT_EQ(parse({"--list=yes"}).error, "--list takes no value");
  EXPECT_EQ(parse({"--reference", "--strict=1"}).error, "--strict takes no value");
  EXPECT_EQ(parse({"--list", "-vs3"}).error, "unknown option -vs3");  // only -s, -x glue
  EXPECT_EQ(parse({"--list", "--timeout=0"}).error,
            "--timeout needs milliseconds between 1 and 600000");
}

TEST(Options, VersionHasAShortForm) {
  EXPECT_TRUE(parse({"-V"}).options.version);
  EXPECT_TRUE(parse({"-V"}).error.empty());
  EXPECT_TRUE(parse({"--version"}).options.version);
}

TEST(Options, UsageErrors) {
  EXPECT_FALSE(parse({}).error.empty());                               // no target
  EXPECT_FALSE(parse({"ws://a:1/rpc", "--reference"}).error.empty());  // two targets
  EXPECT_FALSE(parse({"ws://a:1/rpc", "ws://b:1/rpc"}).error.empty());
  EXPECT_FALSE(parse({"--reference", "--token", "t"}).error.empty());
  EXPECT_FALSE(parse({"ws://a:1/rpc", "--token", "a", "--token-file", "b"}).error.empty());
  EXPECT_FALSE(parse({"ws://a:1/rpc", "--timeout", "0"}).error.empty());
  EXPECT_FALSE(parse({"ws://a:1/rpc", "--timeout", "12x"}).error.empty());
  EXPECT_FALSE(parse({"ws://a:1/rpc", "--bogus"}).error.empty());
  EXPECT_FALSE(parse({"ws://a:1/rpc", "--select"}).error.empty());
  EXPECT_FALSE(
      parse({"ws://a:1/rpc", "--sidecar-arg", "--rate"}).error.empty());  // --reference only
}

TEST(Options, HelpNamesEveryOption) {
  const std::string help = usage_text("/bin/sidecar");
  for (const char* option :
       {"--token",      "--token-file",     "--spawn",       "{port}",
        "--reference",  "--sidecar-bin",    "--sidecar-arg", "--select",
        "--exclude",    "--list",           "--strict",      "--timeout",
        "--verbose",    "--json",           "--junit",       "--expected-failures",
        "/bin/sidecar", "exit status",      "-V, --version", "--json=r.json",
        "\"-s3.5\"",    "list.schema.json", "plain ASCII",   "LC_ALL"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option;
  }
}

std::vector<CaseResult> sample_results(const Catalog& catalog) {
  std::vector<CaseResult> results;
  const Status statuses[] = {Status::Pass,    Status::Fail, Status::Unimplemented,
                             Status::Skipped, Status::Fail, Status::Pass};
  for (std::size_t i = 0; i < 6; ++i) {
    CaseResult r;
    r.c = &catalog.cases()[i];
    r.outcome.status = statuses[i];
    r.outcome.expected = "exp <&> \"q\"";
    r.outcome.actual = std::string("act \x01 ") + "\xe2\x9c\x94";
    r.outcome.reason = "why";
    r.expected_failure = i >= 4;  // one expected failure, one unexpected pass
    r.wire = {"+0ms #1 -> text {}", "+1ms #1 <- close 1000"};
    results.push_back(r);
  }
  return results;
}

TEST(Report, TallyAndFiles) {
  const Catalog catalog = build_catalog();
  const auto results = sample_results(catalog);
  const Tally t = tally(results);
  EXPECT_EQ(t.passed, 2u);
  EXPECT_EQ(t.failed, 1u);
  EXPECT_EQ(t.expected_failures, 1u);
  EXPECT_EQ(t.unexpected_passes, 1u);
  EXPECT_EQ(t.unimplemented, 1u);
  EXPECT_EQ(t.skipped, 1u);

  const std::string json_path = ::testing::TempDir() + "/report.json";
  const std::string xml_path = ::testing::TempDir() + "/report.xml";
  std::string error;
  ReportMeta meta{"ws://127.0.0.1:1/rpc", "", std::chrono::milliseconds(1234), false};
  ASSERT_TRUE(write_json_report(json_path, results, meta, error)) << error;
  ASSERT_TRUE(write_junit_report(xml_path, results, meta, error)) << error;
  std::ifstream jf(json_path);
  const auto doc = nlohmann::json::parse(jf);
  EXPECT_EQ(doc["summary"]["failed"], 1);
  EXPECT_EQ(doc["cases"].size(), 6u);
  EXPECT_EQ(doc["cases"][1]["status"], "fail");
  EXPECT_EQ(doc["cases"][1]["expected"], "exp <&> \"q\"");
  std::stringstream xml;
  xml << std::ifstream(xml_path).rdbuf();
  const std::string x = xml.str();
  EXPECT_NE(x.find("<testsuites"), std::string::npos);
  EXPECT_NE(x.find("&lt;&amp;&gt; &quot;q&quot;"), std::string::npos);
  EXPECT_EQ(x.find('\x01'), std::string::npos);
  EXPECT_NE(x.find("<failure"), std::string::npos);
  EXPECT_NE(x.find("<skipped"), std::string::npos);
  EXPECT_EQ(ReportMeta{}.target, "");
  EXPECT_FALSE(write_json_report("/nonexistent-dir/x.json", results, meta, error));
}

TEST(Report, ListJson) {
  const Catalog catalog = build_catalog();
  const auto selected = select_cases(catalog, {"3.4/7", "5.4"}, {});
  ASSERT_FALSE(selected.empty());
  const std::string path = ::testing::TempDir() + "/list.json";
  std::string error;
  ASSERT_TRUE(write_list_json(path, selected, error)) << error;
  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["tool"], "flake-conform");
  ASSERT_EQ(doc["cases"].size(), selected.size());
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto& c = doc["cases"][i];
    EXPECT_EQ(c["id"], selected[i]->id);
    EXPECT_EQ(c["requirement"], selected[i]->requirement);
    EXPECT_EQ(c["rules"], nlohmann::json(selected[i]->rules));
    EXPECT_EQ(c["budgetMs"], selected[i]->budget.count());
    EXPECT_FALSE(c.contains("status")) << "a list has no outcomes";
  }
  const auto cell = std::find_if(doc["cases"].begin(), doc["cases"].end(),
                                 [](const auto& c) { return c["id"] == "3.4/7@http"; });
  ASSERT_NE(cell, doc["cases"].end());
  EXPECT_EQ((*cell)["rule"], "3.4/7");
  EXPECT_EQ((*cell)["path"], "http");
  EXPECT_EQ((*cell)["paths"], nlohmann::json({"text", "msgpack", "http"}));
  EXPECT_EQ((*cell)["tier"], "MUST");
  EXPECT_EQ((*cell)["group"], "core");
  EXPECT_FALSE(write_list_json("/nonexistent-dir/list.json", selected, error));
}

}  // namespace
}  // namespace flake::conform
