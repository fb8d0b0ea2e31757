// Building the transport matrix from a run's results.
#include "conformance/harness/matrix.hpp"

#include <map>

namespace flake::conform {

TransportMatrix transport_matrix(const std::vector<CaseResult>& results) {
  TransportMatrix m;
  std::map<std::string, std::size_t> row_of;
  for (const CaseResult& r : results) {
    if (r.c->paths.empty()) continue;
    auto [it, added] = row_of.try_emplace(r.c->rule_id, m.rows.size());
    if (added) m.rows.push_back(MatrixRow{r.c->rule_id, {}});
    const auto column = static_cast<std::size_t>(r.c->path);
    m.rows[it->second].cells[column] = r.outcome.status;
    ++m.paths[column].run;
    if (r.outcome.status == Status::Pass) ++m.paths[column].passed;
  }
  return m;
}

bool paths_disagree(const MatrixRow& row) {
  std::optional<Status> first;
  for (const auto& cell : row.cells) {
    if (!cell) continue;
    if (first && *first != *cell) return true;
    if (!first) first = cell;
  }
  return false;
}

}  // namespace flake::conform
