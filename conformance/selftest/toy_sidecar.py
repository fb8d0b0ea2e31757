# Toy flake.v1 sidecar for the conformance self-tests (toy_check.py, toy_soak_check.py): a small,
# independent server written from docs/protocol.md only, to show flake-conform judging a
# non-reference implementation.
"""Implements §1.1-§1.6 (port, start-up line, Host/Origin, routing, RFC 6455 upgrade at /rpc, subprotocol),
§2 over text frames, §3 JSON-RPC 2.0, §4.1-§4.9 (auth.authenticate, gate, failed attempts, deadline,
sessions), §5.4 system.ping, §5.5 rpc.discover, §8.4 connection cap, §8.7 send bound (for notifications;
answers are paced by reading no further), §8.9 depth, §8.11 shutdown; and in toy_sessions.py §5.9-§5.11
logs and metrics subscriptions, §6.1-§6.3 notifications, §7.1-§7.5 retention, replay ring,
session.resume and takeover, and with --conformance §11.2 test.emitLogs, §11.3 test.emitMetrics and
§11.4 test.dropSession. The rest is refused as "not there": other methods -32601 (dashboards, lists,
batch.execute, deployments.subscribe, logs.getLarge, test.setClock, test.emitDeployment), REST/SSE
paths HTTP 404, capabilities.msgpack false (a binary message is closed with 1003), no
permessage-deflate, no keepalive pings (§7.6), rate limit off (rateLimit 0/0).

THE DELIBERATE BUG (off with --no-bug): a numeric id that does not fit a signed 32-bit integer
(1.5, 2^53-1, ...) is echoed as its decimal string, breaking §3.3 and nothing else.

THE SECOND DELIBERATE BUG (on with --ring-gap, off by default): every 50th notification of a session
(seq 50, 100, ...) is sent live but not recorded in the replay ring, and session.resume does not
notice: a resume whose missed run holds one replays the run with a hole. It breaks §7.2a and §7.3b
(and §7.4e: the partial replay should have been -32007); a client sees the same seqs missing again
after the resume, a loss.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import sys
import time

from toy_sessions import GRACE_MS, SEND_BUFFER_MAX, Drop, Hub, RpcError

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
ORIGINS = ["tauri://localhost", "http://tauri.localhost", "https://tauri.localhost"]
BASE_METHODS = ["auth.authenticate", "system.ping", "rpc.discover"]  # the others are toy_sessions.Hub's
NOTIFICATIONS = ["logs.update", "metrics.update", "deployments.update", "data.chunk"]
MAX_DEPTH, MAX_BATCH, MAX_CONNECTIONS, AUTH_DEADLINE_S = 64, 100, 64, 10.0
REASONS = {204: "No Content", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 503: "Service Unavailable"}
# Strings are matched whole so that brackets inside them do not count towards the depth (§8.9).
DEPTH_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


class Close(Exception):
    """Close(code, reason): ends a WebSocket connection with a close frame carrying this code."""


def error(id_, code, message, data=None):
    err = {"code": code, "message": message, **({"data": data} if data is not None else {})}
    return {"jsonrpc": "2.0", "id": id_, "error": err}


def result(id_, value):
    return {"jsonrpc": "2.0", "id": id_, "result": value}


def depth_ok(text):
    depth = 0
    for m in DEPTH_TOKENS.finditer(text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(m.group(), 0)
        if depth > MAX_DEPTH:
            return False
    return True


def valid_id(v):
    return v is None or isinstance(v, str) or (isinstance(v, (int, float)) and not isinstance(v, bool))


def unmask(data, mask):
    key = (mask * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(len(data), "big")


def reject_constant(name):
    raise ValueError("not JSON: " + name)  # NaN, Infinity, -Infinity


async def discard(reader, seconds):
    """Reads and drops what the peer still sends, until EOF or `seconds` have passed."""
    end = time.monotonic() + seconds
    try:
        while await asyncio.wait_for(reader.read(65536), max(0.0, end - time.monotonic())):
            pass
    except (asyncio.TimeoutError, OSError):
        pass


# The params of each method as (name, required, JSON type), for rpc.discover (§5.5d).
PARAMS = {"auth.authenticate": [("token", True, "string"), ("clientInfo", False, "object")],
          "system.ping": [], "rpc.discover": [],
          "session.resume": [("sessionId", True, "string"), ("lastSeq", True, "integer")],
          "logs.subscribe": [("service", True, "string"), ("level", False, "string")],
          "logs.unsubscribe": [("subscription", True, "string")],
          "metrics.subscribe": [("service", False, "string")],
          "metrics.unsubscribe": [("subscription", True, "string")],
          "test.emitLogs": [("service", True, "string"), ("count", True, "integer"),
                            ("perNotification", False, "integer")],
          "test.emitMetrics": [("count", True, "integer")], "test.dropSession": []}


def discovery(names):
    methods = [{"name": m, "params": [{"name": n, "required": r, "schema": {"type": t}} for n, r, t in PARAMS[m]]}
               for m in names]  # §5.5b: test.* only when served, that is in conformance mode
    return {"openrpc": "1.2.6", "info": {"title": "flake.v1", "version": "0.0.1"}, "methods": methods,
            "notifications": [{"name": n} for n in NOTIFICATIONS]}


class Connection:
    """One upgraded WebSocket connection and its JSON-RPC state."""

    def __init__(self, app, reader, writer):
        self.app, self.r, self.w = app, reader, writer
        self.session, self.failures = None, 0  # the attached toy_sessions.Session
        self.deadline = time.monotonic() + AUTH_DEADLINE_S
        self.msg_op, self.parts, self.size = None, [], 0
        self.held = None  # notifications owed after the answer to the current message (a resume's replay)
        self.close_sent = False

    def send_frame(self, opcode, payload):
        n = len(payload)
        length = bytes([n]) if n < 126 else (bytes([126]) + n.to_bytes(2, "big") if n < 65536
                                             else bytes([127]) + n.to_bytes(8, "big"))
        self.w.write(bytes([0x80 | opcode]) + length + payload)  # one write per frame: no interleaving

    def send_close(self, code, reason=""):
        self.send_frame(8, code.to_bytes(2, "big") + reason.encode()[:123])
        self.close_sent = True

    def alive(self):
        return not self.w.transport.is_closing()

    def send_notification(self, data):
        if self.held is not None:
            self.held.append(data)
        elif self.alive() and not self.close_sent:
            self.send_frame(1, data)
            if self.w.transport.get_write_buffer_size() > SEND_BUFFER_MAX:
                self.w.transport.abort()  # §8.7b/e: drop the queue and the TCP connection, whole frames only

    def hold(self, frames):
        self.held = (self.held or []) + frames

    def flush_held(self):
        frames, self.held = self.held or [], None
        for data in frames:
            self.send_notification(data)

    def evict(self, code, reason):
        """Closes the connection from outside its own loop (§7.5 takeover); TCP goes within 2 s."""
        if self.alive() and not self.close_sent:
            self.send_close(code, reason)
        asyncio.get_running_loop().call_later(1.0, self.w.transport.abort)

    async def read_frame(self):
        b0, b1 = await self.r.readexactly(2)
        fin, op, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
        if n >= 126:
            n = int.from_bytes(await self.r.readexactly(2 if n == 126 else 8), "big")
        if not b1 & 0x80 or b0 & 0x70 or op not in (0, 1, 2, 8, 9, 10):
            raise Close(1002, "unmasked frame, reserved bit or unknown opcode")
        if op >= 8 and (not fin or n > 125):
            raise Close(1002, "fragmented or oversized control frame")
        if op == 0 and self.msg_op is None or op in (1, 2) and self.msg_op is not None:
            raise Close(1002, "continuation without a message, or data frame inside one")
        if op < 8 and self.size + n > self.app.max_bytes:
            raise Close(1009, "message too big")  # §2.9: decided on the declared length
        mask = await self.r.readexactly(4)
        return fin, op, unmask(await self.r.readexactly(n), mask)

    async def run(self):
        try:
            await self.loop()
        except Close as c:
            self.send_close(*c.args)
            await discard(self.r, 1.0)  # let the peer answer, then drop TCP (§2.11: within 2 s)
        except Drop:
            self.w.transport.abort()  # §11.4a: no close frame, no answer
        except (asyncio.IncompleteReadError, OSError):
            pass
        finally:
            if self.session is not None:
                self.app.hub.detach(self.session, self)  # §2.11a, §7.1a: kept for resumption
        self.w.close()

    async def loop(self):
        while True:
            timeout = None if self.session else self.deadline - time.monotonic()
            try:
                fin, op, data = await asyncio.wait_for(self.read_frame(), timeout)
            except asyncio.TimeoutError:
                raise Close(4408, "authentication timeout") from None  # §4.8
            if self.close_sent:  # taken over (§7.5): wait for the peer's close, run nothing more
                if op == 8:
                    return
                continue
            if op == 8:
                return await self.on_close(data)
            if op == 9:
                self.send_frame(10, data)
            if op >= 8:
                continue
            self.msg_op = op or self.msg_op
            self.parts.append(data)
            self.size += len(data)
            if not fin:
                continue
            op, payload = self.msg_op, b"".join(self.parts)
            self.msg_op, self.parts, self.size = None, [], 0
            if op == 2:
                raise Close(1003, "MessagePack is not supported")
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                raise Close(1007, "invalid UTF-8") from None
            answer = await self.handle_text(text)
            if answer is not None and not self.close_sent:
                self.send_frame(1, json.dumps(answer, separators=(",", ":")).encode())
            self.flush_held()
            await self.w.drain()
            if self.failures >= 3:
                raise Close(4401, "too many failed authentications")  # §4.7

    async def on_close(self, data):
        if len(data) == 1:
            raise Close(1002, "bad close payload")
        if data:
            code = int.from_bytes(data[:2], "big")
            if not (1000 <= code <= 1014 and code not in (1004, 1005, 1006) or 3000 <= code <= 4999):
                raise Close(1002, "invalid close code")
            try:
                data[2:].decode("utf-8")
            except UnicodeDecodeError:
                raise Close(1007, "invalid close reason") from None
        self.send_frame(8, data[:2])  # echo the code, or none (§2.10)
        await self.w.drain()

    async def handle_text(self, text):
        if not depth_ok(text):
            return error(None, -32700, "Parse error", {"maxDepth": MAX_DEPTH})
        try:
            msg = json.loads(text, parse_constant=reject_constant)
        except (ValueError, RecursionError):
            return error(None, -32700, "Parse error")
        if not isinstance(msg, list):
            return await self.handle_one(msg)
        if not msg or len(msg) > MAX_BATCH:
            return error(None, -32600, "Invalid Request", {"maxBatch": MAX_BATCH} if msg else None)
        answers = [await self.handle_one(m) for m in msg]  # in order, each seeing the one before (§3.4g/h)
        return [a for a in answers if a is not None] or None

    async def handle_one(self, m):
        if not isinstance(m, dict):
            return error(None, -32600, "Invalid Request")
        has_id = "id" in m
        id_ = m["id"] if has_id and valid_id(m["id"]) else None
        if (m.get("jsonrpc") != "2.0" or not isinstance(m.get("method"), str) or (has_id and not valid_id(m["id"]))
                or not isinstance(m.get("params", {}), (dict, list))):
            return self.echo(error(id_, -32600, "Invalid Request"))
        method, params = m["method"], m.get("params", {})
        if not self.session and method not in ("auth.authenticate", "system.ping"):
            answer = error(id_, -32001, "Unauthenticated")  # §4.5
        elif method == "auth.authenticate":
            answer = self.authenticate(id_, params)
            if "error" in answer and has_id:
                self.failures += 1  # §4.7
        elif method == "system.ping":
            answer = result(id_, {"now": int(time.time() * 1000)})
        elif method == "rpc.discover":
            answer = result(id_, discovery([*BASE_METHODS, *self.app.hub.methods]))
        elif method in self.app.hub.methods:
            try:
                answer = result(id_, await self.app.hub.methods[method](self, params))
            except RpcError as e:
                answer = error(id_, *e.args)
        else:
            answer = error(id_, -32601, "Method not found", {"method": method})
        return self.echo(answer) if has_id else None

    def echo(self, answer):
        i = answer["id"]
        if (self.app.bug and isinstance(i, (int, float)) and not isinstance(i, bool)
                and not (isinstance(i, int) and -2**31 <= i < 2**31)):
            answer["id"] = str(i)  # THE DELIBERATE BUG (§3.3)
        return answer

    def authenticate(self, id_, params):
        if not isinstance(params, dict) or not isinstance(params.get("token"), str):
            return error(id_, -32602, "Invalid params", {"field": "token"})
        info = params.get("clientInfo", {})
        if not isinstance(info, dict) or not all(isinstance(info.get(k, ""), str) for k in ("version", "platform")):
            return error(id_, -32602, "Invalid params", {"field": "clientInfo"})
        given = hashlib.sha256(params["token"].encode("utf-8", "surrogatepass")).digest()
        if not hmac.compare_digest(given, self.app.token_digest):  # §4.2: constant time
            return error(id_, -32001, "Unauthenticated")
        if self.session is None:
            self.session = self.app.hub.create(self)  # §4.9a; later successes keep it (§4.9d)
        caps = {"msgpack": False, "batch": True, "maxBatch": MAX_BATCH, "maxMessageBytes": self.app.max_bytes,
                "compression": [], "resumeGraceMs": GRACE_MS, "rateLimit": {"rate": 0, "burst": 0}}
        server = {"name": "toy-sidecar", "version": "0.0.1", "protocol": "flake.v1"}
        return result(id_, {"sessionId": self.session.id, "server": server, "capabilities": caps})


class App:
    def __init__(self, args, token):
        self.bug, self.max_bytes, self.port = not args.no_bug, args.max_message_bytes, 0
        self.token_digest = hashlib.sha256(token.encode()).digest()
        self.origins = {o.lower() for o in ORIGINS + args.allow_origin}
        self.hosts = {h.lower() for h in args.allow_host}
        self.connections, self.stopping = set(), False
        self.hub = Hub(args.conformance, args.ring_gap)

    async def handle(self, reader, writer):
        try:
            await self.http(reader, writer)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.LimitOverrunError, OSError):
            writer.close()

    async def http(self, reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)  # §8.5
        except asyncio.LimitOverrunError:
            return await self.refuse(reader, writer, 400, -32600, "request head too large")
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts, headers = lines[0].split(" "), {}
        for name, sep, value in (line.partition(":") for line in lines[1:]):
            if not sep or not name or name != name.strip():
                parts = []
            headers.setdefault(name.lower(), []).append(value.strip())
        if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or len(headers.get("host", [])) > 1:
            return await self.refuse(reader, writer, 400, -32600, "malformed request")  # §1.4 step 1
        method, path, port = parts[0], parts[1].split("?", 1)[0], self.port
        hosts = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"} | self.hosts | {
            f"{h}:{port}" for h in self.hosts}
        if headers.get("host", [""])[0].lower() not in hosts:
            return await self.refuse(reader, writer, 403, -32008, "Host refused")  # §4.3
        origin = headers.get("origin")
        if origin and (len(origin) > 1 or origin[0].lower() not in self.origins):
            return await self.refuse(reader, writer, 403, -32008, "Origin refused")  # §4.4
        cors = f"Access-Control-Allow-Origin: {origin[0]}\r\nVary: Origin\r\n" if origin else ""
        if path != "/rpc":  # no REST or SSE endpoints at all
            return await self.refuse(reader, writer, 404, -32004, "Not found", {"resource": "path:" + path}, cors)
        if method == "OPTIONS":
            allow = ("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\nAccess-Control-Allow-Headers: "
                     "Authorization, Content-Type, Last-Event-ID\r\n") if origin else ""
            return await self.respond(reader, writer, f"HTTP/1.1 204 No Content\r\n{cors}{allow}"
                                      "Connection: close\r\n\r\n")
        if method != "GET":
            return await self.refuse(reader, writer, 405, -32600, "method not allowed", None,
                                     cors + "Allow: GET, OPTIONS\r\n")

        def tokens(name):
            return {t.strip().lower() for v in headers.get(name, []) for t in v.split(",")}

        key = headers.get("sec-websocket-key", [""])[-1]
        try:
            key_ok = len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            key_ok = False
        if ("websocket" not in tokens("upgrade") or "upgrade" not in tokens("connection") or not key_ok
                or headers.get("sec-websocket-version") != ["13"]):
            return await self.refuse(reader, writer, 400, -32600, "not a valid WebSocket upgrade", None, cors)
        if self.stopping or len(self.connections) >= MAX_CONNECTIONS:  # §8.4, §8.11
            return await self.refuse(reader, writer, 503, -32003, "too many connections",
                                     {"service": "sidecar", "retryAfterMs": 1000}, cors + "Retry-After: 1\r\n")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        protocol = "Sec-WebSocket-Protocol: flake.v1\r\n" if "flake.v1" in tokens("sec-websocket-protocol") else ""
        writer.write(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     f"Sec-WebSocket-Accept: {accept}\r\n{protocol}{cors}\r\n".encode())
        conn = Connection(self, reader, writer)
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)

    async def refuse(self, reader, writer, status, code, message, data=None, extra=""):
        body = json.dumps({"error": error(None, code, message, data)["error"]})  # §9.3
        await self.respond(reader, writer, f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: application/json"
                           f"\r\nContent-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n{body}")

    async def respond(self, reader, writer, text):
        writer.write(text.encode())
        await writer.drain()
        writer.write_eof()
        await discard(reader, 1.0)  # an unread request body would make close() reset the answer
        writer.close()


async def serve(args, token):
    app = App(args, token)
    server = await asyncio.start_server(app.handle, "127.0.0.1", args.port)
    app.port = server.sockets[0].getsockname()[1]
    print(f"toy-sidecar listening on ws://127.0.0.1:{app.port}/rpc", flush=True)  # §1.2
    app.sweeper = asyncio.create_task(app.hub.sweep())  # grace periods and ring ages (§7.1d)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    app.stopping = True  # §8.11: no new upgrades, close 1001 everywhere, exit 0 within 2 s
    server.close()
    for conn in list(app.connections):
        conn.send_close(1001, "shutting down")
    await asyncio.sleep(0.5)
    for conn in list(app.connections):
        conn.w.transport.abort()
    return 0


def main():
    p = argparse.ArgumentParser(description="toy flake.v1 sidecar (conformance self-test)")
    p.add_argument("--port", type=int, default=9123)
    p.add_argument("--token-file")
    p.add_argument("--max-message-bytes", type=int, default=16777216)
    p.add_argument("--allow-origin", action="append", default=[])
    p.add_argument("--allow-host", action="append", default=[])
    p.add_argument("--rate", type=int, default=10000, help="accepted; the toy never rate-limits")
    p.add_argument("--conformance", action="store_true",
                   help="enable test.emitLogs, test.emitMetrics and test.dropSession (§11.1)")
    p.add_argument("--no-bug", action="store_true", help="echo every numeric id correctly (§3.3)")
    p.add_argument("--ring-gap", action="store_true",
                   help="plant the second bug: every 50th notification of a session is missing from its replay ring")
    args = p.parse_args()
    if not 0 <= args.port <= 65535 or not 1024 <= args.max_message_bytes <= 2**30:
        p.error("--port or --max-message-bytes out of range")
    token = os.environ.get("FLAKE_SIDECAR_TOKEN", "")
    if args.token_file:  # §4.1
        try:
            with open(args.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except (OSError, UnicodeDecodeError) as e:
            sys.exit(f"toy-sidecar: cannot read the token file: {e}")
        if not token:
            sys.exit("toy-sidecar: the token file is empty")
    elif not token:
        token = secrets.token_hex(16)
        print(f"token: {token}", flush=True)  # a generated token, once, on stdout
    try:
        sys.exit(asyncio.run(serve(args, token)))
    except OSError as e:
        sys.exit(f"toy-sidecar: cannot listen: {e}")


if __name__ == "__main__":
    main()
