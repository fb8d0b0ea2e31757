// logs.getLarge messages (see large_export.hpp): the §6.7 metadata and the §6.9 data.chunk
// notifications, whole or in the two pieces the send queue takes without copying the payload.
#include <msgpack.h>
#include <openssl/evp.h>

#include <string>

#include "reference/codec/msgpack_buffer.hpp"
#include "reference/rpc/large_export.hpp"

namespace flake {

namespace {

void pack_str(msgpack_packer& pk, std::string_view text) {
  msgpack_pack_str(&pk, text.size());
  msgpack_pack_str_body(&pk, text.data(), text.size());
}

// The base64 of `bytes` with `suffix` after it, in one buffer.
std::string base64_then(std::string_view bytes, std::string_view suffix) {
  const size_t size = 4 * ((bytes.size() + 2) / 3);
  std::string out(size + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  out += suffix;
  return out;
}

}  // namespace

JsonPtr large_export_metadata(const LargeExport& export_) {
  JsonPtr result(cJSON_CreateObject());
  cJSON_AddStringToObject(result.get(), "stream", export_.stream.c_str());
  cJSON_AddNumberToObject(result.get(), "totalEntries", static_cast<double>(export_.total_entries));
  cJSON_AddNumberToObject(result.get(), "chunks", static_cast<double>(export_.chunk_count()));
  cJSON_AddNumberToObject(result.get(), "bytes", static_cast<double>(export_.bytes));
  cJSON_AddStringToObject(result.get(), "sha256", export_.sha256_hex.c_str());
  cJSON_AddStringToObject(result.get(), "format", export_.msgpack ? "msgpack" : "json");
  cJSON_AddBoolToObject(result.get(), "compressed", export_.compressed);
  return result;
}

DataChunkPieces data_chunk_pieces(std::string_view stream, size_t index, std::string payload,
                                  bool msgpack) {
  DataChunkPieces out;
  if (!msgpack) {
    // Written by hand: the payload can be 1.4 MB of base64, which a cJSON tree would copy twice
    // more.
    JsonPtr name(cJSON_CreateString(std::string(stream).c_str()));
    out.head = R"({"jsonrpc":"2.0","method":"data.chunk","params":{"stream":)";
    out.head += print_json(name.get());
    out.head += R"(,"index":)" + std::to_string(index) + R"(,"payload":")";
    out.tail = base64_then(payload, "\"}}");
    return out;
  }
  MsgpackBuffer sbuf;
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sbuf.buffer, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 3);
  pack_str(pk, "jsonrpc");
  pack_str(pk, "2.0");
  pack_str(pk, "method");
  pack_str(pk, "data.chunk");
  pack_str(pk, "params");
  msgpack_pack_map(&pk, 3);
  pack_str(pk, "stream");
  pack_str(pk, stream);
  pack_str(pk, "index");
  msgpack_pack_uint64(&pk, index);
  pack_str(pk, "payload");
  msgpack_pack_bin(&pk, payload.size());  // §6.9: a real bin, not base64 text
  out.head.assign(sbuf.buffer.data, sbuf.buffer.size);
  out.tail = std::move(payload);
  return out;
}

std::string data_chunk_json(const LargeExport& export_, size_t index) {
  DataChunkPieces pieces =
      data_chunk_pieces(export_.stream, index, export_.chunks.at(index), false);
  return pieces.head + pieces.tail;
}

std::string data_chunk_msgpack(const LargeExport& export_, size_t index) {
  DataChunkPieces pieces = data_chunk_pieces(export_.stream, index, export_.chunks.at(index), true);
  return pieces.head + pieces.tail;
}

}  // namespace flake
