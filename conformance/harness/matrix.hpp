// The transport matrix of a run: for each path-generic rule, the outcome of its cell on each path,
// and per path how many cells passed, so a report shows at a glance which path lags behind.
#pragma once

#include "conformance/harness/runner.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace flake::conform {

struct MatrixRow {
  std::string rule;                                        // the case ID without "@path"
  std::array<std::optional<Status>, kPaths.size()> cells;  // unset: not run on that path
};

struct PathTally {
  std::size_t run = 0;
  std::size_t passed = 0;
};

struct TransportMatrix {
  std::vector<MatrixRow> rows;  // in the order of the results
  std::array<PathTally, kPaths.size()> paths;
  bool empty() const { return rows.empty(); }
};

// Only the results of path-generic cases count; an empty matrix means the run had none.
TransportMatrix transport_matrix(const std::vector<CaseResult>& results);

// Whether the paths a rule ran on gave different outcomes: the rows a reader looks at first.
bool paths_disagree(const MatrixRow& row);

}  // namespace flake::conform
