// logs.getLarge (docs/protocol.md §5.12, §6.7-§6.10): the export is planned whole, so its metadata
// can carry the sha256, then its payloads are cut and sent one data.chunk at a time under the
// connection's send-buffer flow control (see plan_large_export).
#include "reference/defects/seams.hpp"
#include "reference/rpc/large_export.hpp"
#include "reference/rpc/methods/methods.hpp"

namespace flake {

Outcome handle_get_large(CallContext& ctx, std::string_view, const cJSON* params) {
  JsonPtr lax;  // defect compress-unchecked: a non-boolean compress counts for its truthiness
  if (const cJSON* compress = member(params, "compress");
      compress && !cJSON_IsBool(compress) && ctx.server.has(Defect::kCompressUnchecked)) {
    const bool truthy = (cJSON_IsNumber(compress) && compress->valuedouble != 0) ||
                        (cJSON_IsString(compress) && compress->valuestring[0] != '\0') ||
                        cJSON_IsObject(compress) || cJSON_IsArray(compress);
    lax = clone(params);
    cJSON_ReplaceItemInObjectCaseSensitive(lax.get(), "compress", cJSON_CreateBool(truthy));
    params = lax.get();
  }
  if (const char* format = seam::default_export_format(ctx.server);
      format != nullptr && cJSON_IsObject(params) && member(params, "format") == nullptr) {
    if (!lax) lax = clone(params);
    cJSON_AddStringToObject(lax.get(), "format", format);
    params = lax.get();
  }
  auto parsed = parse_large_export_params(params);
  if (auto* error = std::get_if<ParamError>(&parsed)) {
    return invalid_params(error->field.c_str(), error->message);
  }
  LargeExportParams& request = std::get<LargeExportParams>(parsed);
  request.drop_unfitting = ctx.server.has(Defect::kLongEntryDropped);
  ServerState& server = ctx.server;
  if (!server.fixtures.has_service(request.service)) return not_found("service:" + request.service);

  // §5.12a: ts in (now - duration, now], in whole milliseconds.
  const int64_t now = server.epoch_ms();
  PackedEntries entries =
      server.log_history.packed_since(request.service, now - request.range_ms + 1, now);
  auto data = std::make_shared<LargeExport>(plan_large_export(
      std::move(entries), request, seam::export_number(server, ++server.export_counter)));
  if (!data->error.empty()) return rpc_error(kInternalError, "export failed: " + data->error);

  // Defect empty-export-chunk: an export without entries still sends one chunk, an empty array.
  if (server.has(Defect::kEmptyExportChunk) && data->chunk_count() == 0) {
    data->chunks.emplace_back(1, '\x90');
    data->bytes = 1;
  }
  if (server.has(Defect::kChunkCorrupt) && data->chunk_count() > 0) {
    materialize_chunks(*data);  // the first payload is altered before it is sent
    if (!data->chunks[0].empty()) data->chunks[0][data->chunks[0].size() / 2] ^= 0x20;
  }
  JsonPtr metadata = large_export_metadata(*data);
  if (server.has(Defect::kChunkCount)) {
    cJSON_ReplaceItemInObjectCaseSensitive(
        metadata.get(), "chunks", cJSON_CreateNumber(static_cast<double>(data->chunk_count() + 1)));
  }
  ctx.binary_response = request.msgpack;  // §2.4: a msgpack export answers in MessagePack
  if (ctx.connection != nullptr && ctx.connection->session != nullptr) {
    seam::after_export_chunks(server, ctx.connection->session->last_seq, data->chunk_count());
  }
  // §3.5c: a client notification gets no metadata, so no chunk may follow it.
  if (data->chunk_count() > 0 && seam::export_chunks_sent(server, ctx.notification)) {
    EmitJob job;
    job.kind = EmitJob::Kind::kChunks;
    job.remaining = data->chunk_count();
    job.export_data = std::move(data);
    ctx.jobs.push_back(std::move(job));
  }
  return metadata;
}

}  // namespace flake
