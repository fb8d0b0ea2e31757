"""A small flake.v1 client, written from docs/protocol.md alone.

Standard library only: the WebSocket client (RFC 6455, with permessage-deflate
of RFC 7692 for incoming messages) and the MessagePack decoder are written
here. See README.md for the client rules it follows and the one it leaves out
on purpose (the circuit breaker of section 7.8).

Section numbers (§x.y) refer to docs/protocol.md.
"""

import base64
import email.utils
import hashlib
import json
import os
import queue
import random
import socket
import struct
import threading
import time
import zlib
from urllib.parse import urlsplit

__all__ = [
    "FlakeClient", "RpcError", "TransportError", "CallTimeout", "GaveUp",
    "LargeRejected", "msgpack_unpackb", "MsgpackError", "WebSocket",
]

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SEQ_METHODS = ("logs.update", "metrics.update", "deployments.update")
LEVELS = ("debug", "info", "warn", "error")


# ---------------------------------------------------------------------------
# MessagePack decoder (the subset of the format a client receives: all of it,
# decoding only; this client never sends MessagePack).
# ---------------------------------------------------------------------------

class MsgpackError(ValueError):
    pass


class Ext:
    """An ext value; not a JSON-RPC value (§2.3), kept so the caller can refuse it."""

    def __init__(self, code, data):
        self.code, self.data = code, data

    def __repr__(self):
        return "Ext(%d, %r)" % (self.code, self.data)


def msgpack_unpackb(data, max_depth=512):
    """Decode exactly one MessagePack object; trailing bytes are an error."""
    data = bytes(data)
    obj, pos = _mp_obj(data, 0, max_depth)
    if pos != len(data):
        raise MsgpackError("trailing bytes after the object")
    return obj


def _mp_take(b, pos, n):
    end = pos + n
    if end > len(b):
        raise MsgpackError("truncated")
    return b[pos:end], end


def _mp_len(b, pos, width):
    raw, pos = _mp_take(b, pos, width)
    return int.from_bytes(raw, "big"), pos


def _mp_str(b, pos, n):
    raw, pos = _mp_take(b, pos, n)
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError:
        raise MsgpackError("str is not UTF-8")


def _mp_array(b, pos, n, depth):
    if depth <= 0:
        raise MsgpackError("nested too deeply")
    if n > len(b) - pos:  # at least one byte per element
        raise MsgpackError("array length exceeds the data")
    out = []
    for _ in range(n):
        v, pos = _mp_obj(b, pos, depth - 1)
        out.append(v)
    return out, pos


def _mp_map(b, pos, n, depth):
    if depth <= 0:
        raise MsgpackError("nested too deeply")
    if 2 * n > len(b) - pos:  # at least two bytes per entry
        raise MsgpackError("map length exceeds the data")
    out = {}
    for _ in range(n):
        k, pos = _mp_obj(b, pos, depth - 1)
        v, pos = _mp_obj(b, pos, depth - 1)
        if not isinstance(k, (str, int, float, bytes, bool, type(None))):
            raise MsgpackError("unhashable map key")
        out[k] = v  # last occurrence wins
    return out, pos


def _mp_ext(b, pos, n):
    raw, pos = _mp_take(b, pos, 1)
    code = struct.unpack(">b", raw)[0]
    data, pos = _mp_take(b, pos, n)
    return Ext(code, data), pos


def _mp_obj(b, pos, depth):
    if pos >= len(b):
        raise MsgpackError("truncated")
    t = b[pos]
    pos += 1
    if t <= 0x7F:
        return t, pos
    if t >= 0xE0:
        return t - 0x100, pos
    if 0x80 <= t <= 0x8F:
        return _mp_map(b, pos, t & 0x0F, depth)
    if 0x90 <= t <= 0x9F:
        return _mp_array(b, pos, t & 0x0F, depth)
    if 0xA0 <= t <= 0xBF:
        return _mp_str(b, pos, t & 0x1F)
    if t == 0xC0:
        return None, pos
    if t == 0xC2:
        return False, pos
    if t == 0xC3:
        return True, pos
    if t in (0xC4, 0xC5, 0xC6):  # bin 8/16/32
        n, pos = _mp_len(b, pos, {0xC4: 1, 0xC5: 2, 0xC6: 4}[t])
        return _mp_take(b, pos, n)
    if t in (0xC7, 0xC8, 0xC9):  # ext 8/16/32
        n, pos = _mp_len(b, pos, {0xC7: 1, 0xC8: 2, 0xC9: 4}[t])
        return _mp_ext(b, pos, n)
    if t == 0xCA:
        raw, pos = _mp_take(b, pos, 4)
        return struct.unpack(">f", raw)[0], pos
    if t == 0xCB:
        raw, pos = _mp_take(b, pos, 8)
        return struct.unpack(">d", raw)[0], pos
    if 0xCC <= t <= 0xCF:  # uint 8..64
        raw, pos = _mp_take(b, pos, 1 << (t - 0xCC))
        return int.from_bytes(raw, "big"), pos
    if 0xD0 <= t <= 0xD3:  # int 8..64
        raw, pos = _mp_take(b, pos, 1 << (t - 0xD0))
        return int.from_bytes(raw, "big", signed=True), pos
    if 0xD4 <= t <= 0xD8:  # fixext 1..16
        return _mp_ext(b, pos, 1 << (t - 0xD4))
    if t in (0xD9, 0xDA, 0xDB):  # str 8/16/32
        n, pos = _mp_len(b, pos, {0xD9: 1, 0xDA: 2, 0xDB: 4}[t])
        return _mp_str(b, pos, n)
    if t in (0xDC, 0xDD):
        n, pos = _mp_len(b, pos, 2 if t == 0xDC else 4)
        return _mp_array(b, pos, n, depth)
    if t in (0xDE, 0xDF):
        n, pos = _mp_len(b, pos, 2 if t == 0xDE else 4)
        return _mp_map(b, pos, n, depth)
    raise MsgpackError("never-used byte 0x%02x" % t)  # 0xc1


# ---------------------------------------------------------------------------
# WebSocket client (RFC 6455) with permessage-deflate (RFC 7692) for incoming
# messages. Outgoing messages are never compressed (RFC 7692 lets a sender
# leave any message uncompressed).
# ---------------------------------------------------------------------------

class HandshakeError(Exception):
    def __init__(self, message, status=None, retry_after=None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds, from Retry-After on 429/503


class ConnectionClosed(Exception):
    def __init__(self, code=None, reason="", failed=False):
        super().__init__("connection closed (code %s)" % code)
        self.code = code          # close code received, None without one
        self.reason = reason
        self.failed = failed      # we failed the connection (protocol error)


class _ProtocolError(Exception):
    def __init__(self, message, code=1002):
        super().__init__(message)
        self.code = code


def _mask(payload, key):
    n = len(payload)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def _parse_retry_after(value):
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _parse_extensions(values):
    """Sec-WebSocket-Extensions values -> [(name, {param: value-or-None})]."""
    out = []
    for value in values:
        for ext in value.split(","):
            ext = ext.strip()
            if not ext:
                continue
            parts = [p.strip() for p in ext.split(";")]
            params = {}
            for p in parts[1:]:
                if not p:
                    continue
                if "=" in p:
                    k, v = p.split("=", 1)
                    k, v = k.strip().lower(), v.strip()
                    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                        v = v[1:-1]
                else:
                    k, v = p.lower(), None
                if k in params:
                    raise HandshakeError("duplicate extension parameter %s" % k)
                params[k] = v
            out.append((parts[0].lower(), params))
    return out


class WebSocket:
    """One client WebSocket. recv_message() is for a single reader thread;
    send_*() may be called from any thread."""

    def __init__(self, sock, leftover, subprotocol, deflate):
        self.sock = sock
        self.buf = bytearray(leftover)
        self.subprotocol = subprotocol
        self.deflate = deflate  # None, or dict of negotiated parameters
        self._inflater = None
        self._window = b""
        self._send_lock = threading.Lock()
        self.close_sent = False
        self.closed = False

    # -- opening handshake ------------------------------------------------
    @classmethod
    def connect(cls, url, timeout=10.0, subprotocols=("flake.v1",), offer_deflate=True):
        u = urlsplit(url)
        if u.scheme != "ws":
            raise ValueError("only ws:// URLs are supported")
        host = u.hostname
        port = u.port or 80
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        deadline = time.monotonic() + timeout
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            key = base64.b64encode(os.urandom(16)).decode("ascii")
            host_hdr = "[%s]" % host if ":" in host else host
            lines = [
                "GET %s HTTP/1.1" % path,
                "Host: %s:%d" % (host_hdr, port),
                "Upgrade: websocket",
                "Connection: Upgrade",
                "Sec-WebSocket-Key: " + key,
                "Sec-WebSocket-Version: 13",
                "User-Agent: flake-pyclient/0.1",
            ]
            if subprotocols:
                lines.append("Sec-WebSocket-Protocol: " + ", ".join(subprotocols))
            if offer_deflate:
                # client_max_window_bits only bounds our compressor, which we
                # never use, so any value the sidecar picks is fine.
                lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
            head = bytearray()
            while b"\r\n\r\n" not in head:
                if len(head) > 65536:
                    raise HandshakeError("response head too large")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise HandshakeError("handshake timed out")
                sock.settimeout(left)
                try:
                    chunk = sock.recv(4096)
                except socket.timeout:
                    raise HandshakeError("handshake timed out")
                if not chunk:
                    raise HandshakeError("connection closed during the handshake")
                head += chunk
            end = head.index(b"\r\n\r\n")
            leftover = bytes(head[end + 4:])
            text = head[:end].decode("iso-8859-1")
            status_line, *header_lines = text.split("\r\n")
            parts = status_line.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                raise HandshakeError("malformed status line %r" % status_line)
            status = int(parts[1])
            headers = {}
            for line in header_lines:
                if ":" not in line:
                    raise HandshakeError("malformed header line %r" % line)
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), []).append(v.strip())

            def one(name):
                v = headers.get(name)
                return v[-1] if v else None

            if status != 101:
                ra = _parse_retry_after(one("retry-after")) if status in (429, 503) else None
                raise HandshakeError("HTTP %d" % status, status, ra)
            if (one("upgrade") or "").lower() != "websocket":
                raise HandshakeError("101 without Upgrade: websocket")
            conn_tokens = [t.strip().lower() for v in headers.get("connection", []) for t in v.split(",")]
            if "upgrade" not in conn_tokens:
                raise HandshakeError("101 without Connection: Upgrade")
            expect = base64.b64encode(hashlib.sha1((key + WS_GUID).encode("ascii")).digest()).decode()
            if headers.get("sec-websocket-accept") != [expect]:
                raise HandshakeError("wrong Sec-WebSocket-Accept")
            proto = headers.get("sec-websocket-protocol")
            if proto is not None:
                if len(proto) != 1 or proto[0] not in subprotocols:
                    raise HandshakeError("server selected a subprotocol we did not offer: %r" % proto)
                proto = proto[0]
            deflate = None
            exts = _parse_extensions(headers.get("sec-websocket-extensions", []))
            for name, params in exts:
                if name != "permessage-deflate" or not offer_deflate or deflate is not None:
                    raise HandshakeError("server selected an extension we did not offer: %s" % name)
                for k, v in params.items():
                    if k in ("server_no_context_takeover", "client_no_context_takeover"):
                        if v is not None:
                            raise HandshakeError("bad value for %s" % k)
                    elif k == "server_max_window_bits":
                        if v is None or not v.isdigit() or not 8 <= int(v) <= 15:
                            raise HandshakeError("bad value for %s" % k)
                    elif k == "client_max_window_bits":
                        pass  # bounds our compressor, which we never use
                    else:
                        raise HandshakeError("unknown permessage-deflate parameter %s" % k)
                deflate = params
            sock.settimeout(5.0)
            return cls(sock, leftover, proto, deflate)
        except BaseException:
            sock.close()
            raise

    # -- sending ----------------------------------------------------------
    def _send_frame(self, opcode, payload, fin=True):
        n = len(payload)
        head = bytearray([(0x80 if fin else 0) | opcode])
        if n < 126:
            head.append(0x80 | n)
        elif n < 65536:
            head.append(0x80 | 126)
            head += struct.pack(">H", n)
        else:
            head.append(0x80 | 127)
            head += struct.pack(">Q", n)
        key = os.urandom(4)  # every client frame is masked (§2.5)
        head += key
        data = bytes(head) + _mask(payload, key)
        with self._send_lock:
            if self.close_sent:
                raise ConnectionClosed(None)
            if opcode == 0x8:
                self.close_sent = True
            self.sock.sendall(data)

    def send_text(self, text):
        self._send_frame(0x1, text.encode("utf-8"))

    def send_binary(self, data):
        self._send_frame(0x2, bytes(data))

    def send_close(self, code=1000, reason=""):
        payload = b"" if code is None else struct.pack(">H", code) + reason.encode("utf-8")[:123]
        try:
            self._send_frame(0x8, payload)
        except (OSError, ConnectionClosed):
            pass

    # -- receiving --------------------------------------------------------
    def _fill(self, n):
        while len(self.buf) < n:
            if self.closed:
                raise ConnectionClosed(None)
            try:
                chunk = self.sock.recv(max(65536, n - len(self.buf)))
            except socket.timeout:
                continue
            except OSError:
                raise ConnectionClosed(None)
            if not chunk:
                raise ConnectionClosed(None)
            self.buf += chunk

    def _take(self, n):
        self._fill(n)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def _read_frame(self):
        b0, b1 = self._take(2)
        fin = bool(b0 & 0x80)
        rsv = b0 & 0x70
        opcode = b0 & 0x0F
        if b1 & 0x80:
            raise _ProtocolError("masked frame from the server")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._take(8))[0]
            if n >> 63:
                raise _ProtocolError("64-bit length with the high bit set")
        if opcode >= 0x8 and (n > 125 or not fin):
            raise _ProtocolError("bad control frame")
        return fin, rsv, opcode, self._take(n)

    def _inflate(self, data):
        no_takeover = "server_no_context_takeover" in self.deflate
        if self._inflater is None or no_takeover:
            self._inflater = zlib.decompressobj(-15)
            if no_takeover:
                self._window = b""
        try:
            out = self._inflater.decompress(data + b"\x00\x00\xff\xff")
            if self._inflater.eof:
                # The message ended with a BFINAL block (RFC 7692 §7.2.3.3);
                # the next message starts a new stream over the same window.
                self._inflater = None
        except zlib.error as e:
            raise _ProtocolError("inflate failed: %s" % e)
        if not no_takeover:
            self._window = (self._window + out)[-32768:]
            if self._inflater is None:
                self._inflater = zlib.decompressobj(-15, zdict=self._window) if self._window else None
        return out

    def recv_message(self, on_ping=None):
        """Return (opcode, bytes) of the next data message. Answers pings
        itself, ignores pongs, raises ConnectionClosed at the end."""
        try:
            msg_op, parts, compressed = None, [], False
            while True:
                fin, rsv, opcode, payload = self._read_frame()
                if opcode >= 0x8:
                    if rsv:
                        raise _ProtocolError("reserved bit on a control frame")
                    if opcode == 0x9:
                        try:
                            self._send_frame(0xA, payload)  # pong, same payload (§7.6)
                        except ConnectionClosed:
                            pass  # we already sent our close frame: no more frames
                        except OSError:
                            raise ConnectionClosed(None)
                        if on_ping:
                            on_ping(payload)
                        continue
                    if opcode == 0xA:
                        continue  # solicited or not, a pong is ignored (§2.5)
                    if opcode == 0x8:
                        self._on_close_frame(payload)
                    raise _ProtocolError("unknown control opcode %d" % opcode)
                if opcode == 0x0:
                    if msg_op is None:
                        raise _ProtocolError("continuation without a message")
                    if rsv:
                        raise _ProtocolError("reserved bit on a continuation frame")
                    parts.append(payload)
                elif opcode in (0x1, 0x2):
                    if msg_op is not None:
                        raise _ProtocolError("new message inside a fragmented one")
                    if rsv & 0x30 or (rsv & 0x40 and self.deflate is None):
                        raise _ProtocolError("reserved bit set")
                    msg_op, parts, compressed = opcode, [payload], bool(rsv & 0x40)
                else:
                    raise _ProtocolError("unknown opcode %d" % opcode)
                if fin:
                    data = b"".join(parts)
                    if compressed:
                        data = self._inflate(data)
                    if msg_op == 0x1:
                        try:
                            data.decode("utf-8")
                        except UnicodeDecodeError:
                            raise _ProtocolError("text message is not UTF-8", 1007)
                    return msg_op, data
        except _ProtocolError as e:
            self.send_close(e.code, str(e)[:100])
            self.abort()
            raise ConnectionClosed(None, str(e), failed=True)

    def _on_close_frame(self, payload):
        if len(payload) == 1:
            raise _ProtocolError("close frame with a 1-byte payload")
        code = struct.unpack(">H", payload[:2])[0] if payload else None
        reason = payload[2:].decode("utf-8", "replace")
        # Echo the code (RFC 6455 §5.5.1), unless we started the closing.
        if not self.close_sent:
            self.send_close(code if code not in (1005, 1006, 1015) else 1000)
        raise ConnectionClosed(code, reason)

    def linger_and_close(self, timeout=1.0):
        """After the closing handshake, wait briefly for the server to end TCP."""
        deadline = time.monotonic() + timeout
        try:
            self.sock.settimeout(0.1)
            while time.monotonic() < deadline:
                try:
                    if not self.sock.recv(65536):
                        break
                except socket.timeout:
                    continue
        except OSError:
            pass
        self.abort()

    def abort(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# JSON-RPC client
# ---------------------------------------------------------------------------

class RpcError(Exception):
    def __init__(self, code, message="", data=None):
        super().__init__("%s: %s" % (code, message))
        self.code, self.message, self.data = code, message, data


class TransportError(Exception):
    """The connection ended before the call did."""


class CallTimeout(Exception):
    """No answer within the call timeout."""


class GaveUp(Exception):
    """The client stopped reconnecting (§7.7) or was closed."""


class LargeRejected(Exception):
    def __init__(self, reason, code=None):
        super().__init__(reason)
        self.reason, self.code = reason, code


class _Pending:
    __slots__ = ("done", "response", "transport", "hook")

    def __init__(self, hook=None):
        self.done = threading.Event()
        self.response = None
        self.transport = False
        self.hook = hook


class _Stream:
    """Collects the data.chunk notifications of one logs.getLarge stream."""

    def __init__(self, expected):
        self.expected = expected
        self.chunks = {}
        self.error = None
        self.done = threading.Event()
        if expected == 0:
            self.done.set()

    def add(self, index, payload):
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.expected \
                or index in self.chunks:
            self.error = "bad chunk index %r" % (index,)
            self.done.set()
            return
        self.chunks[index] = payload
        if len(self.chunks) == self.expected:
            self.done.set()


class _Conn:
    """One WebSocket connection carrying JSON-RPC, with its reader thread."""

    def __init__(self, client, ws):
        self.client = client
        self.ws = ws
        self.pending = {}
        self.streams = {}
        self.lock = threading.Lock()
        self.not_before = 0.0      # §8.3: no request before this monotonic time
        self.phase = "attempt"     # "attempt" (manager owns it) or "live"
        self.gap = False           # showed a seq jump; being abandoned (§6.2)
        self.client_closing = False
        self.ended = False
        self.loss = None           # (kind, time, code) once the client noticed the end
        self.thread = threading.Thread(target=self._reader, daemon=True)

    def start(self):
        self.thread.start()

    # -- sending ----------------------------------------------------------
    def wait_gate(self):
        while True:
            if self.ended or self.gap:
                raise TransportError("connection ended")
            left = self.not_before - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.05))

    def send_obj(self, obj):
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        try:
            self.ws.send_text(text)
        except (OSError, ConnectionClosed) as e:
            raise TransportError(str(e))

    def close(self, code=1000, reason=""):
        self.client_closing = True
        self.ws.send_close(code, reason)
        # Do not wait for the sidecar's close frame for ever (RFC 6455 §7.1.1).
        t = threading.Timer(2.0, self.ws.abort)
        t.daemon = True
        t.start()

    def fail_pending(self):
        with self.lock:
            pend, self.pending = self.pending, {}
            streams, self.streams = self.streams, {}
        for p in pend.values():
            p.transport = True
            p.done.set()
        for s in streams.values():
            if s.error is None and not s.done.is_set():
                s.error = "transport"
            s.done.set()

    # -- receiving --------------------------------------------------------
    def _reader(self):
        code = None
        try:
            while True:
                opcode, data = self.ws.recv_message()
                if self.gap or self.client_closing:
                    continue  # we are ending it: wait for the close to complete
                try:
                    if opcode == 0x1:
                        obj = json.loads(data.decode("utf-8"))
                    else:
                        obj = msgpack_unpackb(data)
                except (ValueError, MsgpackError, RecursionError):
                    continue  # not a JSON-RPC message we can use
                self._dispatch(obj)
        except ConnectionClosed as e:
            code = e.code
        except Exception as e:  # pragma: no cover - keep the reader honest
            self.client._log("reader error: %r" % (e,))
            self.ws.abort()
        now = time.monotonic()
        self.ended = True
        self.client._conn_ended(self, code, now)
        self.fail_pending()
        self.ws.linger_and_close(1.0)

    def _dispatch(self, obj):
        if isinstance(obj, list):
            for m in obj:
                if isinstance(m, dict):
                    self._dispatch_one(m)
        elif isinstance(obj, dict):
            self._dispatch_one(obj)

    def _dispatch_one(self, m):
        if "id" not in m:
            if isinstance(m.get("method"), str):
                self.client._notification(self, m["method"], m.get("params"))
            return
        err = m.get("error")
        if isinstance(err, dict) and err.get("code") == -32002:
            data = err.get("data")
            ms = data.get("retryAfterMs") if isinstance(data, dict) else None
            if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms <= 0:
                ms = 1000  # §3.10 says it is always there; be careful if not
            # +1 ms so that rounding never lets us send a little early
            self.not_before = max(self.not_before, time.monotonic() + (ms + 1) / 1000.0)
        rid = m.get("id")
        try:
            with self.lock:
                p = self.pending.pop(rid, None)
        except TypeError:
            return  # unhashable id: not ours
        if p is None:
            return
        p.response = m
        if p.hook is not None and "error" not in m:
            p.hook(self, m.get("result"))
        p.done.set()


class FlakeClient:
    """flake.v1 client: reconnects (§7.7), resumes (§7.3), detects seq jumps
    (§6.2), re-subscribes after -32007 (§7.4), honours retryAfterMs (§8.3),
    and verifies large exports (§6.10). It has no circuit breaker (§7.8)."""

    def __init__(self, url, token, *, backoff_base_ms=1000, call_timeout_ms=10000,
                 max_attempts=5, jitter=0.15, offer_deflate=True,
                 client_info=None, on_event=None, on_update=None, log=None):
        self.url = url
        self.token = token
        self.backoff_base = backoff_base_ms / 1000.0
        self.call_timeout = call_timeout_ms / 1000.0
        self.max_attempts = max_attempts
        self.jitter = jitter
        self.offer_deflate = offer_deflate
        self.client_info = client_info or {"version": "0.1.0", "platform": "python"}
        self.on_event = on_event or (lambda ev: None)
        self.on_update = on_update or (lambda method, params: None)
        self._logf = log
        self._lock = threading.Lock()
        self._seq_lock = threading.Lock()
        self._ready = threading.Event()
        self._losses = queue.Queue()
        self._conn = None
        self._next_id = 0
        self._id_lock = threading.Lock()
        self._stopped = False
        self._gave_up = False
        self._session_id = None    # the session we hold (and would resume)
        self._last_seq = 0         # highest seq seen in order on that session
        self._subs = []            # [{"method", "params", "id"}] held subscriptions
        self._gap_from = None      # lastSeq of the last jump we resumed for
        self._retry_after_until = 0.0
        self._manager = threading.Thread(target=self._run_manager, daemon=True)

    # -- public API -------------------------------------------------------
    def start(self):
        self._manager.start()

    @property
    def session_id(self):
        return self._session_id

    @property
    def last_seq(self):
        return self._last_seq

    @property
    def gave_up(self):
        return self._gave_up

    def wait_ready(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._stopped or self._gave_up:
                return False
            if self._ready.wait(0.1):
                with self._lock:
                    if self._conn is not None and self._ready.is_set():
                        return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def call(self, method, params=None, timeout=None):
        """One request once connected; raises RpcError, TransportError,
        CallTimeout or GaveUp."""
        return self._call_on(self._wait_conn(), method, params, timeout)

    def batch(self, calls, timeout=None):
        """Send [(method, params), ...] as one batch; answers are matched by
        id (§3.4). Returns a list of ("result", value) / ("error", RpcError) /
        ("transport", None) / ("timeout", None), in call order."""
        conn = self._wait_conn()
        timeout = self.call_timeout if timeout is None else timeout
        msgs, pends = [], []
        for method, params in calls:
            rid = self._new_id()
            msg = {"jsonrpc": "2.0", "id": rid, "method": method}
            if params is not None:
                msg["params"] = params
            p = _Pending()
            with conn.lock:
                conn.pending[rid] = p
            msgs.append(msg)
            pends.append((rid, p))
        try:
            conn.wait_gate()
            conn.send_obj(msgs)
        except TransportError:
            return [("transport", None)] * len(calls)
        deadline = time.monotonic() + timeout
        out = []
        for rid, p in pends:
            if not p.done.wait(max(0.0, deadline - time.monotonic())):
                with conn.lock:
                    conn.pending.pop(rid, None)
                out.append(("timeout", None))
            elif p.transport:
                out.append(("transport", None))
            else:
                out.append(self._outcome(p.response))
        return out

    def subscribe(self, method, params):
        """A *.subscribe call whose subscription the client holds and
        re-creates after -32007 (§7.4). Returns the subscription id."""
        conn = self._wait_conn()
        result = self._call_on(conn, method, params, retry_rate_limited=True,
                               hook=self._subscribed_hook(method))
        sub = result.get("subscription") if isinstance(result, dict) else None
        if not isinstance(sub, str):
            raise RpcError(-32603, "subscribe result without a subscription id")
        with self._lock:
            self._subs.append({"method": method, "params": params, "id": sub})
        return sub

    def _subscribed_hook(self, method):
        # Runs on the reader thread, so the event line precedes the
        # subscription's first notification.
        def hook(conn, result):
            sub = result.get("subscription") if isinstance(result, dict) else None
            if isinstance(sub, str):
                self._event(event="subscribed", method=method, subscription=sub)
        return hook

    def get_large(self, service, time_range, fmt="json", compress=None, timeout=None):
        """logs.getLarge, assembled, verified (§6.7-§6.10) and decoded.
        Returns the list of entries; raises LargeRejected."""
        timeout = self.call_timeout if timeout is None else timeout
        params = {"service": service, "timeRange": time_range, "format": fmt}
        if compress is not None:
            params["compress"] = compress
        holder = {}

        def hook(conn, result):  # runs on the reader thread, before later chunks
            if isinstance(result, dict) and isinstance(result.get("stream"), str) \
                    and isinstance(result.get("chunks"), int) and result["chunks"] >= 0:
                s = _Stream(result["chunks"])
                with conn.lock:
                    conn.streams[result["stream"]] = s
                holder["stream"] = s

        try:
            conn = self._wait_conn()
            meta = self._call_on(conn, "logs.getLarge", params, timeout, hook=hook)
        except RpcError as e:
            raise LargeRejected("error %s" % e.code, e.code)
        except TransportError:
            raise LargeRejected("transport")
        except CallTimeout:
            raise LargeRejected("timeout")
        s = holder.get("stream")
        if s is None:
            raise LargeRejected("malformed metadata")
        try:
            last_n, last_t = -1, time.monotonic()
            while not s.done.wait(0.02):
                now = time.monotonic()
                if len(s.chunks) != last_n:
                    last_n, last_t = len(s.chunks), now
                elif now - last_t > timeout:
                    raise LargeRejected("chunks stopped arriving (%d of %d)" % (last_n, s.expected))
        finally:
            with conn.lock:
                conn.streams.pop(meta.get("stream"), None)
        if s.error:
            raise LargeRejected(s.error)
        return self._verify_large(meta, s, fmt, bool(compress))

    def close(self, code=1000):
        self._stopped = True
        self._ready.clear()
        self._losses.put(("stop", time.monotonic(), None))
        conn = self._conn
        if conn is not None:
            conn.close(code)

    # -- internals: calls -------------------------------------------------
    def _log(self, text):
        if self._logf:
            self._logf(text)

    def _event(self, **ev):
        self.on_event(ev)

    def _new_id(self):
        with self._id_lock:
            self._next_id += 1
            return self._next_id  # integer ids (§3.3)

    def _wait_conn(self):
        while True:
            if self._stopped or self._gave_up:
                raise GaveUp()
            if self._ready.wait(0.1):
                with self._lock:
                    conn = self._conn
                    if conn is not None and self._ready.is_set():
                        return conn

    @staticmethod
    def _outcome(resp):
        err = resp.get("error")
        if err is not None:
            if isinstance(err, dict):
                return ("error", RpcError(err.get("code"), err.get("message", ""), err.get("data")))
            return ("error", RpcError(None, "malformed error"))
        return ("result", resp.get("result"))

    def _call_on(self, conn, method, params=None, timeout=None, hook=None, retry_rate_limited=False):
        timeout = self.call_timeout if timeout is None else timeout
        tries = 0
        while True:
            rid = self._new_id()
            msg = {"jsonrpc": "2.0", "id": rid, "method": method}
            if params is not None:
                msg["params"] = params
            p = _Pending(hook)
            with conn.lock:
                conn.pending[rid] = p
            try:
                if conn.ended or conn.gap:
                    raise TransportError("connection ended")
                conn.wait_gate()
                conn.send_obj(msg)
            except TransportError:
                with conn.lock:
                    conn.pending.pop(rid, None)
                raise
            if not p.done.wait(timeout):
                with conn.lock:
                    conn.pending.pop(rid, None)
                raise CallTimeout(method)
            if p.transport:
                raise TransportError("connection ended")
            kind, value = self._outcome(p.response)
            if kind == "result":
                return value
            tries += 1
            if retry_rate_limited and value.code == -32002 and tries < 5:
                continue  # the gate (§8.3) makes the retry wait
            raise value

    # -- internals: large exports -----------------------------------------
    def _verify_large(self, meta, s, fmt, compress):
        def need(cond, why):
            if not cond:
                raise LargeRejected(why)

        def is_int(v):
            return isinstance(v, int) and not isinstance(v, bool) and v >= 0

        need(isinstance(meta, dict), "metadata is not an object")
        need(is_int(meta.get("totalEntries")) and is_int(meta.get("bytes")), "malformed metadata")
        need(isinstance(meta.get("sha256"), str), "malformed sha256")
        need(meta.get("format") == fmt, "format not echoed")
        need(meta.get("compressed") is compress, "compressed not echoed")
        need(len(s.chunks) == s.expected, "missing chunks")
        raws = []
        for i in range(s.expected):
            payload = s.chunks[i]
            if fmt == "json":
                need(isinstance(payload, str), "chunk %d payload is not a string" % i)
                try:
                    raw = base64.b64decode(payload, validate=True)
                except ValueError:
                    raise LargeRejected("chunk %d payload is not base64" % i)
            else:
                need(isinstance(payload, bytes), "chunk %d payload is not bin" % i)
                raw = payload
            raws.append(raw)
        blob = b"".join(raws)
        need(len(blob) == meta["bytes"], "bytes mismatch (%d != %d)" % (len(blob), meta["bytes"]))
        need(hashlib.sha256(blob).hexdigest() == meta["sha256"].lower(), "sha256 mismatch")
        entries = []
        for i, raw in enumerate(raws):
            if compress:
                d = zlib.decompressobj()
                try:
                    raw = d.decompress(raw) + d.flush()
                except zlib.error:
                    raise LargeRejected("chunk %d does not inflate" % i)
                need(d.eof and not d.unused_data, "chunk %d is not one zlib stream" % i)
            try:
                arr = msgpack_unpackb(raw)
            except MsgpackError as e:
                raise LargeRejected("chunk %d: %s" % (i, e))
            need(isinstance(arr, list) and arr, "chunk %d is not a non-empty array" % i)
            for e in arr:
                need(isinstance(e, dict) and isinstance(e.get("ts"), int)
                     and e.get("level") in LEVELS and isinstance(e.get("message"), str),
                     "chunk %d holds a malformed entry" % i)
            entries.extend(arr)
        need(len(entries) == meta["totalEntries"], "totalEntries mismatch")
        return entries

    # -- internals: notifications -----------------------------------------
    def _notification(self, conn, method, params):
        if not isinstance(params, dict):
            return
        if method == "data.chunk":
            with conn.lock:
                s = conn.streams.get(params.get("stream"))
            if s is not None:
                s.add(params.get("index"), params.get("payload"))
            return
        if method not in SEQ_METHODS:
            return
        seq = params.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return
        self._event(event="notification", method=method,
                    subscription=params.get("subscription"), seq=seq)
        with self._seq_lock:
            expected = self._last_seq + 1
            jump = seq > expected
            repeat = jump and self._gap_from == expected - 1
            if seq == expected or repeat:
                self._last_seq = seq
            elif jump:
                self._gap_from = expected - 1
        if seq != expected:
            self._event(event="gap", expected=expected, seq=seq)
        if seq == expected or repeat:
            if repeat:
                # We already resumed with this lastSeq and the replay jumps
                # the same way: the sidecar no longer has those notifications
                # and resuming again would loop. Take the loss and go on.
                self._log("seq jump %d -> %d again after resuming: accepted" % (expected - 1, seq))
            self.on_update(method, params)
            return
        if jump:
            # Data was lost: end this connection and resume on a new one with
            # lastSeq = the last seq before the jump (§6.2). A seq at or below
            # the last one is a duplicate and is simply dropped.
            self._log("seq jump %d -> %d: resuming on a new connection" % (expected - 1, seq))
            conn.gap = True
            self._report_loss(conn, "gap", time.monotonic(), None)
            conn.fail_pending()
            conn.close(1000, "seq gap")

    # -- internals: connection lifecycle ----------------------------------
    def _conn_ended(self, conn, code, when):
        ev = {"event": "disconnected"}
        if code is not None:
            ev["code"] = code
        self.on_event(ev)
        kind = "4401" if code == 4401 else "unexpected"
        if conn.client_closing and not conn.gap:
            kind = "client"
        self._report_loss(conn, kind, when, code)

    def _report_loss(self, conn, kind, when, code):
        with self._lock:
            if conn.loss is not None:
                return
            conn.loss = (kind, when, code)
            if conn.phase == "live":
                if self._conn is conn:
                    self._conn = None
                    self._ready.clear()
                if kind != "client":
                    self._losses.put((kind, when, code))

    def _sleep_until(self, t):
        while not self._stopped:
            left = t - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, 0.05))
        return False

    def _run_manager(self):
        kind, end_time = "initial", time.monotonic()
        while not self._stopped:
            res = self._connect_cycle(kind, end_time)
            if res is None:
                return
            kind, end_time, code = res
            if kind == "stop":
                return
            if kind == "4401":
                # §7.7: the token is wrong; do not reconnect on our own.
                self._give_up("close 4401")
                return

    def _give_up(self, reason):
        self._gave_up = True
        self._ready.clear()
        self._event(event="gave_up", reason=reason)

    def _connect_cycle(self, kind, end_time):
        """Attempts until one succeeds (then waits for that connection to be
        lost and returns the loss) or until we give up (returns None)."""
        failed = 0
        while not self._stopped:
            if kind == "unexpected" or failed > 0:
                # §7.7: delays base*1, 2, 4, 8, 16, each varied randomly, from
                # the end of the previous connection or failed attempt.
                idx = failed if kind == "unexpected" else failed - 1
                delay = self.backoff_base * (2 ** idx) * random.uniform(1 - self.jitter, 1 + self.jitter)
                start_at = max(end_time + delay, self._retry_after_until)
                if not self._sleep_until(start_at):
                    return None
            res, end_time, code = self._attempt()
            if res == "ok":
                loss = self._losses.get()
                return loss
            if res == "4401":
                self._give_up("close 4401")
                return None
            if res == "lost":
                # An authenticated connection ended during resume or
                # re-subscription: that is an unexpected disconnect (or a gap).
                kind, failed = ("gap" if code == "gap" else "unexpected"), 0
                continue
            if res == "stop":
                return None
            failed += 1
            if failed >= self.max_attempts:
                self._give_up("%d failed attempts" % failed)
                return None
        return None

    def _attempt(self):
        """One attempt (§7.7). Returns (result, end_time, extra)."""
        try:
            ws = WebSocket.connect(self.url, timeout=self.call_timeout, offer_deflate=self.offer_deflate)
        except HandshakeError as e:
            if e.retry_after is not None:
                # §7.7: not before Retry-After seconds (unscaled), nor before our delay.
                self._retry_after_until = max(self._retry_after_until, time.monotonic() + e.retry_after)
            self._log("attempt failed: %s" % e)
            return "fail", time.monotonic(), None
        except OSError as e:
            self._log("attempt failed: %s" % e)
            return "fail", time.monotonic(), None
        if self._stopped:
            ws.abort()
            return "stop", time.monotonic(), None
        conn = _Conn(self, ws)
        self._event(event="connected")
        conn.start()

        def ended_before_auth():
            noticed = time.monotonic()
            if conn.loss is None:
                # End it ourselves, but wait briefly for the closing handshake:
                # a close 4401 from the sidecar may cross ours (§4.7, §7.7).
                conn.close(1000)
                deadline = noticed + 1.0
                while conn.loss is None and time.monotonic() < deadline:
                    time.sleep(0.005)
            loss = conn.loss
            if loss is not None and loss[2] == 4401:
                return "4401", loss[1], None
            if loss is not None and loss[0] != "client":
                noticed = loss[1]
            return "fail", noticed, None

        params = {"token": self.token}
        if self.client_info is not None:
            params["clientInfo"] = self.client_info
        try:
            res = self._call_on(conn, "auth.authenticate", params, retry_rate_limited=True)
            fresh = res.get("sessionId") if isinstance(res, dict) else None
            if not isinstance(fresh, str):
                raise RpcError(-32603, "no sessionId")
        except (RpcError, TransportError, CallTimeout) as e:
            self._log("authentication failed: %r" % (e,))
            return ended_before_auth()
        self._event(event="authenticated", sessionId=fresh)

        def lost():
            loss = conn.loss
            if loss is None:  # a timeout: end it ourselves and start over
                conn.close(1000)
                return "lost", time.monotonic(), "unexpected"
            if loss[0] == "4401":
                return "4401", loss[1], None
            return "lost", loss[1], loss[0]

        old = self._session_id
        if old is None:
            self._session_id = fresh
        else:
            # §7.3: resume the old session with the last seq we saw.
            with self._seq_lock:
                last = self._last_seq
            def resumed_hook(conn, r):  # reader thread: before the replay
                self._event(event="resumed", replayed=r.get("replayed") if isinstance(r, dict) else None)
            try:
                self._call_on(conn, "session.resume", {"sessionId": old, "lastSeq": last},
                              retry_rate_limited=True, hook=resumed_hook)
            except RpcError as e:
                # §7.4: the fresh session is ours now; subscribe again, with
                # the same parameters, before any further service call.
                self._event(event="resume_failed", code=e.code)
                self._session_id = fresh
                with self._seq_lock:
                    self._last_seq = 0
                    self._gap_from = None
                try:
                    self._resubscribe(conn)
                except (TransportError, CallTimeout):
                    return lost()
            except (TransportError, CallTimeout):
                return lost()
        with self._lock:
            if conn.loss is not None:
                pass
            else:
                conn.phase = "live"
                self._conn = conn
                self._ready.set()
                return "ok", time.monotonic(), None
        return lost()

    def _resubscribe(self, conn):
        with self._lock:
            subs = list(self._subs)
        kept = []
        for sub in subs:
            try:
                result = self._call_on(conn, sub["method"], sub["params"], retry_rate_limited=True,
                                       hook=self._subscribed_hook(sub["method"]))
            except RpcError as e:
                self._log("re-subscribe %s failed: %s" % (sub["method"], e))
                continue
            new_id = result.get("subscription") if isinstance(result, dict) else None
            if not isinstance(new_id, str):
                continue
            kept.append({"method": sub["method"], "params": sub["params"], "id": new_id})
        with self._lock:
            self._subs = kept
