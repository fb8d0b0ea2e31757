// BM_Calibration, linked into every micro-benchmark binary: a fixed workload that uses no code of
// the reference, so CI can compare each benchmark as a ratio to it measured in the same run
// (scripts/bench-ci.sh, bench/micro_ratios.py) and the machine's speed and load mostly cancel.
#include <benchmark/benchmark.h>
#include <cJSON.h>

#include <string>

namespace {

// About 8.5 KB of JSON shaped like the sidecar's traffic (objects, short strings, integers,
// fractions, arrays), generated here rather than read from fixtures so that it never changes.
std::string calibration_text() {
  std::string text = R"({"jsonrpc":"2.0","id":7,"result":{"items":[)";
  for (int i = 0; i < 64; ++i) {
    if (i != 0) text += ',';
    text += R"({"id":"dpl_)" + std::to_string(100000 + i * 37) + R"(","name":"deployment-)" +
            std::to_string(i) + R"(","state":"READY","createdAt":)" +
            std::to_string(1700000000000LL + i * 86400LL) + R"(,"score":)" + std::to_string(i) +
            R"(.25,"tags":["prod","edge"],"ok":true})";
  }
  text += R"(],"next":null}})";
  return text;
}

// cJSON_Parse + cJSON_Delete from Debian's libcjson: allocation-heavy tree building, like the
// reference's hot paths, but none of its code, so a change to the reference never moves it.
void BM_Calibration(benchmark::State& state) {
  const std::string text = calibration_text();
  for (auto _ : state) {
    cJSON* tree = cJSON_ParseWithLength(text.data(), text.size());
    if (tree == nullptr) {
      state.SkipWithError("calibration payload does not parse");
      break;
    }
    benchmark::DoNotOptimize(tree);
    cJSON_Delete(tree);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_Calibration);

}  // namespace
