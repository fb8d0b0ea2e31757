// logs.getLarge without a socket: chunking, optional zlib and integrity hash (build_large_export),
// then rendering every data.chunk message, for 50,000 entries in each export form; and the
// sidecar's streamed path from packed entries (plan_large_export, then one payload at a time); and
// that path from the log history, which hands over its MessagePack blocks (packed_since).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "bench/micro/bench_payloads.hpp"
#include "reference/codec/msgpack.hpp"
#include "reference/rpc/large_export.hpp"
#include "reference/state/log_history.hpp"

namespace {

using namespace flake;

constexpr size_t kEntries = 50'000;

enum class Form { kMsgpack, kMsgpackZlib, kJson };

const cJSON* entries() {
  static const JsonPtr tree = bench::log_entries(kEntries);
  return tree.get();
}

void BM_LargeExport(benchmark::State& state, Form form) {
  LargeExportParams params;
  params.service = "vercel";
  params.range_ms = 3'600'000;
  params.msgpack = form != Form::kJson;
  params.compress = form == Form::kMsgpackZlib;
  const cJSON* input = entries();
  uint64_t stream = 0, wire = 0, chunks = 0, payload = 0;
  for (auto _ : state) {
    LargeExport ex = build_large_export(input, params, ++stream);
    if (!ex.error.empty()) {
      state.SkipWithError(ex.error.c_str());
      break;
    }
    for (size_t i = 0; i < ex.chunks.size(); ++i) {
      const std::string frame = params.msgpack ? data_chunk_msgpack(ex, i) : data_chunk_json(ex, i);
      wire += frame.size();
    }
    chunks = ex.chunks.size();
    payload = ex.bytes;
  }
  // Bytes are what goes on the wire (data.chunk messages), so MB/s compares the forms end to end.
  state.SetBytesProcessed(static_cast<int64_t>(wire));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kEntries));
  state.counters["chunks"] = static_cast<double>(chunks);
  state.counters["payload_bytes"] = static_cast<double>(payload);
  state.counters["wire_bytes"] =
      state.iterations() ? static_cast<double>(wire) / static_cast<double>(state.iterations()) : 0;
}

// The sidecar's path: entries already packed (as the log history holds them), the export planned,
// then each payload cut and split into the head and tail that are queued.
void BM_LargeExportStreamed(benchmark::State& state, Form form) {
  static const PackedEntries packed = [] {
    PackedEntries out;
    for (const cJSON* entry = entries()->child; entry; entry = entry->next)
      out.add_copy(encode_msgpack(entry));
    return out;
  }();
  const LargeExportParams params{"vercel", 3'600'000, form != Form::kJson, false};
  uint64_t stream = 0, wire = 0;
  for (auto _ : state) {
    LargeExport ex = plan_large_export(packed, params, ++stream);
    for (size_t i = 0; i < ex.chunk_count(); ++i) {
      const DataChunkPieces pieces =
          data_chunk_pieces(ex.stream, i, take_chunk_payload(ex, i), params.msgpack);
      wire += pieces.head.size() + pieces.tail.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(wire));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kEntries));
}

// The sidecar's whole path for an uncompressed msgpack export (flake-bench's logs.getLarge less the
// socket): packed_since on a history of 50,000 entries, whose full blocks the first export (done
// before timing) converted to MessagePack, plan_large_export (sha256), then each payload cut.
// `compressed`: the idle tick compressed those blocks first, so each export inflates them.
void BM_LargeExportFromHistory(benchmark::State& state, bool compressed) {
  LogHistory history(60'000);
  for (const cJSON* entry = entries()->child; entry; entry = entry->next)
    history.add("vercel", static_cast<int64_t>(cJSON_GetObjectItem(entry, "ts")->valuedouble),
                print_json(entry));
  (void)history.packed_since("vercel", 0);
  if (compressed) history.pack_idle(true);
  const LargeExportParams params{"vercel", 3'600'000, true, false};
  uint64_t stream = 0, payload = 0;
  for (auto _ : state) {
    LargeExport ex = plan_large_export(history.packed_since("vercel", 0), params, ++stream);
    for (size_t i = 0; i < ex.chunk_count(); ++i) {
      const std::string bytes = take_chunk_payload(ex, i);
      benchmark::DoNotOptimize(bytes.data());
    }
    payload += ex.bytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(payload));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kEntries));
}

}  // namespace

BENCHMARK_CAPTURE(BM_LargeExportFromHistory, msgpack_blocks, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LargeExportFromHistory, compressed_blocks, true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LargeExportStreamed, msgpack, Form::kMsgpack)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LargeExportStreamed, json, Form::kJson)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LargeExport, msgpack, Form::kMsgpack)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LargeExport, msgpack_zlib, Form::kMsgpackZlib)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LargeExport, json, Form::kJson)->Unit(benchmark::kMillisecond);
