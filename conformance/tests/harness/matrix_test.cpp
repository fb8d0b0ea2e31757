// The transport matrix: one row per path-generic rule, a column per path, tallies per path.
#include "conformance/harness/matrix.hpp"

#include <gtest/gtest.h>

namespace flake::conform {
namespace {

Case cell(std::string rule, Path path) {
  Case c;
  c.rule_id = rule;
  c.id = path == Path::Text ? rule : rule + "@" + std::string(to_string(path));
  c.paths = {Path::Text, Path::MsgPack, Path::Http};
  c.path = path;
  return c;
}

CaseResult result(const Case& c, Status status) {
  CaseResult r;
  r.c = &c;
  r.outcome.status = status;
  return r;
}

TEST(TransportMatrix, RowsPerRuleAndTalliesPerPath) {
  const Case a_text = cell("3.4/2", Path::Text);
  const Case a_msgpack = cell("3.4/2", Path::MsgPack);
  const Case a_http = cell("3.4/2", Path::Http);
  const Case b_text = cell("3.4/3", Path::Text);
  Case plain;
  plain.id = plain.rule_id = "2.6/1";
  const std::vector<CaseResult> results = {
      result(a_text, Status::Pass), result(a_msgpack, Status::Pass), result(a_http, Status::Fail),
      result(b_text, Status::Pass), result(plain, Status::Fail)};
  const TransportMatrix m = transport_matrix(results);
  ASSERT_EQ(m.rows.size(), 2u);  // the case without paths is not in the matrix
  EXPECT_EQ(m.rows[0].rule, "3.4/2");
  EXPECT_EQ(m.rows[0].cells[2], Status::Fail);
  EXPECT_EQ(m.rows[1].rule, "3.4/3");
  EXPECT_FALSE(m.rows[1].cells[1].has_value());
  EXPECT_EQ(m.paths[0].run, 2u);
  EXPECT_EQ(m.paths[0].passed, 2u);
  EXPECT_EQ(m.paths[2].run, 1u);
  EXPECT_EQ(m.paths[2].passed, 0u);
  EXPECT_TRUE(transport_matrix({result(plain, Status::Pass)}).empty());
}

}  // namespace
}  // namespace flake::conform
