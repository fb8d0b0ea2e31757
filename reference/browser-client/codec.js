// The two WebSocket encodings (§2.1–§2.3): JSON in text messages, MessagePack in binary ones, and
// the byte helpers both need (base64 chunk payloads of §6.9).
import { encode as msgpackEncode, decode as msgpackDecode } from "@msgpack/msgpack";

/** @typedef {"json" | "msgpack"} Encoding */

/**
 * Serializes one message (or batch) for the wire.
 * @param {unknown} message
 * @param {Encoding} encoding
 * @returns {string | Uint8Array}
 */
export function encodeMessage(message, encoding) {
  return encoding === "msgpack" ? msgpackEncode(message) : JSON.stringify(message);
}

/**
 * Parses one received WebSocket message: text is JSON, binary is MessagePack (§2.1).
 * @param {string | ArrayBuffer} data
 * @returns {unknown}
 */
export function decodeMessage(data) {
  return typeof data === "string" ? JSON.parse(data) : msgpackDecode(new Uint8Array(data));
}

/**
 * Decodes one MessagePack object (a chunk's entry array, §6.8, or a REST export body, §9.10).
 * @param {Uint8Array} bytes
 * @returns {unknown}
 */
export function decodeMsgpack(bytes) {
  return msgpackDecode(bytes);
}

/**
 * Standard base64 (RFC 4648 §4) to bytes.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64ToBytes(text) {
  // Uint8Array.fromBase64 is native in recent engines; atob is the portable path.
  const native = /** @type {any} */ (Uint8Array).fromBase64;
  if (typeof native === "function") return native(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
