# Test double for the defect self-test: a loopback "wire front" before the reference sidecar that
# breaks one WebSocket transport rule which libwebsockets enforces below the reference's own code.
"""wire_defects.py --list
wire_defects.py --defect NAME --port P -- SIDECAR_CMD...

Starts SIDECAR_CMD (with --port 0), listens on 127.0.0.1:P and forwards every connection to the
sidecar. The first HTTP request head of a connection is inspected: an upgrade request switches the
connection to frame mode once the sidecar answers 101; anything else is piped through untouched.
In frame mode each frame is parsed and forwarded unchanged except for the one breach of --defect
("none" breaches nothing). The sidecar gets `--allow-host NAME:P` for the loopback names so that it
accepts the Host the client sends to the front (its own port differs).
"""
import argparse
import asyncio
import base64
import hashlib
import re
import signal
import sys

# name  what front + reference then do (the rule's section)
DEFECTS = dict(line.split("  ", 1) for line in """
bad-accept  answers upgrades with a Sec-WebSocket-Accept made without the GUID (§1.5)
select-foreign-subprotocol  selects the first offered subprotocol if flake.v1 is not offered (§1.6)
pong-wrong-payload  answers a ping with a pong whose payload is not the ping's (§2.5)
fail-on-interleaved-control  fails the connection (1002) on a control frame between fragments (§2.5)
ignore-unknown-opcode  drops frames with a reserved opcode instead of failing (§2.6)
accept-fragmented-control  treats a control frame with FIN clear as final (§2.6)
ignore-long-control  drops control frames with more than 125 bytes of payload (§2.6)
ignore-stray-continuation  drops a continuation frame that has no message to continue (§2.6)
restart-interrupted-message  a new data frame mid-message discards the unfinished one (§2.6)
close-reply-1000  answers a client close frame with a close frame carrying 1000 (§2.10)
linger-after-close  keeps TCP open 4 s after its close frame unless the client answers (§2.11)
""".strip().splitlines())
# The self-test's expectations (wire_defects.py --list --tsv, in flake-sidecar --list-defects --tsv's
# columns): the cases that must fail, and those that may fail as well ("-" for none).
EXPECTATIONS = {
    "bad-accept": ("1.5/1", "1,2,3"),
    "select-foreign-subprotocol": ("1.6/3", "1.6/4"),
    "pong-wrong-payload": ("2.5/2", "2.5/3"),
    "fail-on-interleaved-control": ("2.5/3", "-"),
    "ignore-unknown-opcode": ("2.6/3", "2.6/8"),
    "accept-fragmented-control": ("2.6/4", "2.6/8"),
    "ignore-long-control": ("2.6/5", "2.6/8"),
    "ignore-stray-continuation": ("2.6/6", "2.6/8"),
    "restart-interrupted-message": ("2.6/7", "2.6/8"),
    "close-reply-1000": ("2.10/1,2.10/2", "2.10/3"),
    "linger-after-close": ("2.11/1", "-"),
}
UNLISTED = {}  # defects that work by hand but stay out of --list (and so out of the self-test)
MAX_HEAD = 64 * 1024  # an HTTP head larger than this is piped through uninspected
CHUNK = 64 * 1024  # read size: bounds what one connection buffers per direction
HOLD_MAX = 1 << 20  # restart-interrupted-message holds at most this much of an unfinished message
LINGER_S = 4.0


class Direction:
    """One direction of a connection. Bytes put() go out together when the next read would wait
    (or CHUNK bytes gather), so the peer gets the segments it would get without the front:
    libwebsockets reacts differently to a frame split over two reads."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.buf, self.pos, self.out = b"", 0, bytearray()

    async def fill(self):
        await self.flush()
        try:
            data = await self.reader.read(CHUNK)
        except ConnectionResetError:
            self.writer.transport.abort()  # a reset goes on as a reset, not as a FIN
            raise
        self.buf, self.pos = self.buf[self.pos:] + data, 0
        return bool(data)

    async def some(self, n=CHUNK):  # b"" at EOF
        if self.pos == len(self.buf):
            await self.fill()
        data = self.buf[self.pos:self.pos + n]
        self.pos += len(data)
        return data

    async def exactly(self, n):  # raises asyncio.IncompleteReadError at EOF
        while len(self.buf) - self.pos < n:
            if not await self.fill():
                raise asyncio.IncompleteReadError(self.buf[self.pos:], n)
        self.pos += n
        return self.buf[self.pos - n:self.pos]

    async def put(self, data):
        self.out += data
        if len(self.out) >= CHUNK:
            await self.flush()

    async def flush(self):
        if self.out:
            self.writer.write(bytes(self.out))
            self.out.clear()
            await self.writer.drain()

    async def pipe(self):
        while data := await self.some():
            await self.put(data)

    async def frame_header(self):
        """The next frame header, or None at EOF (a partial header is forwarded as it is)."""
        try:
            head = await self.exactly(2)
            n = head[1] & 0x7F
            head += await self.exactly({126: 2, 127: 8}.get(n, 0) + (4 if head[1] & 0x80 else 0))
        except asyncio.IncompleteReadError as e:
            await self.put(e.partial)
            return None
        return Frame(head)

    async def payload(self, f, drop=False):
        """Forwards (or drops) the frame's payload as it arrives."""
        left = f.length
        while left:
            data = await self.some(min(left, CHUNK))
            if not data:
                raise ConnectionError("EOF inside a frame")
            left -= len(data)
            if not drop:
                await self.put(data)


class Frame:
    def __init__(self, raw):
        self.raw = bytearray(raw)  # the header as received
        self.fin, self.rsv, self.opcode = raw[0] >> 7, raw[0] & 0x70, raw[0] & 0x0F
        self.masked, n = raw[1] >> 7, raw[1] & 0x7F
        self.length = int.from_bytes(raw[2:-4 if self.masked else None], "big") if n >= 126 else n
        self.control = self.opcode >= 8


def server_frame(opcode, payload, rsv=0):
    assert len(payload) < 126
    return bytes([0x80 | rsv | opcode, len(payload)]) + payload


def header_values(head, name):
    fields = re.findall(rb"\r\n([^:\r\n]+):([^\r\n]*)", head)
    return [v.strip() for k, v in fields if k.strip().lower() == name]


class Connection:
    def __init__(self, defect, client, server):
        self.defect = defect
        self.up, self.down = Direction(client[0], server[1]), Direction(server[0], client[1])
        self.upgrade_key = None  # Sec-WebSocket-Key of an upgrade request, once its head is seen
        self.offered = []  # subprotocols the upgrade request offered
        self.decided = asyncio.Event()  # the sidecar answered the upgrade request (or is gone)
        self.websocket = False
        self.client_closed = asyncio.Event()  # the client sent a close frame
        self.server_closed = False  # the sidecar sent a close frame

    async def client_to_server(self):
        up = self.up
        try:
            if (head := await self.request_head()) is not None:
                upgrade = any(v.lower() == b"websocket" for v in header_values(head, b"upgrade"))
                if upgrade:  # known before the sidecar has the head, so before its answer
                    self.upgrade_key = (header_values(head, b"sec-websocket-key") or [b""])[0]
                    offers = header_values(head, b"sec-websocket-protocol")
                    self.offered = [p.strip() for v in offers for p in v.split(b",")]
                    head = self.edit_request(head)
                await up.put(head)
                if upgrade:
                    await up.flush()
                    await self.decided.wait()
            await (self.client_frames() if self.websocket else up.pipe())
            await up.flush()
        finally:
            if up.writer.can_write_eof() and not up.writer.is_closing():
                up.writer.write_eof()  # the sidecar sees the client's end

    async def request_head(self):
        """The first request head, not forwarded yet; None (and forwarded) when the connection
        ends before it does or it is longer than MAX_HEAD."""
        head = b""
        while len(head) <= MAX_HEAD and (data := await self.up.some()):
            if (end := (head + data).find(b"\r\n\r\n")) >= 0:
                cut = end + 4 - len(head)
                self.up.pos -= len(data) - cut  # the rest is read again, as frames or as a body
                return head + data[:cut]
            head += data
        await self.up.put(head)
        return None

    async def server_to_client(self):
        down = self.down
        try:
            data = await down.some()
            if self.upgrade_key is not None and data:
                while (end := data.find(b"\r\n\r\n")) < 0 and len(data) <= MAX_HEAD:
                    if not (more := await down.some()):
                        break
                    data += more
                if end >= 0:
                    down.pos -= len(data) - (end + 4)
                    data = self.edit_response(data[: end + 4])
                    self.websocket = data.startswith((b"HTTP/1.1 101", b"HTTP/1.0 101"))
            self.decided.set()
            await down.put(data)
            await (self.server_frames() if self.websocket else down.pipe())
            await down.flush()
        finally:
            self.decided.set()
        if self.defect == "linger-after-close" and self.server_closed:
            try:  # the TCP connection stays open until the client answers, or LINGER_S
                await asyncio.wait_for(self.client_closed.wait(), LINGER_S)
            except asyncio.TimeoutError:
                pass

    def foreign_offer_only(self):
        return (self.defect == "select-foreign-subprotocol" and self.offered
                and b"flake.v1" not in self.offered)

    def edit_request(self, head):
        if self.foreign_offer_only():  # the sidecar would refuse: it gets no offer, and 101
            head = re.sub(rb"(?im)^sec-websocket-protocol:[^\r\n]*\r\n", b"", head)
        return head

    def edit_response(self, head):
        if self.defect == "bad-accept":
            wrong = base64.b64encode(hashlib.sha1(self.upgrade_key).digest())  # GUID left out
            head = re.sub(rb"(?im)^(sec-websocket-accept:)[^\r\n]*", rb"\1 " + wrong, head)
        if self.foreign_offer_only() and not header_values(head, b"sec-websocket-protocol"):
            head = head[:-2] + b"Sec-WebSocket-Protocol: " + self.offered[0] + b"\r\n\r\n"
        return head

    async def client_frames(self):
        up, d = self.up, self.defect
        in_message = False  # a data frame with FIN clear was seen and its message is not finished
        held = None  # restart-interrupted-message: the unfinished message, not yet forwarded
        while f := await up.frame_header():
            drop = ((d == "ignore-unknown-opcode" and f.opcode not in (0, 1, 2, 8, 9, 10))
                    or (d == "ignore-long-control" and f.control and f.length > 125)
                    or (d == "ignore-stray-continuation" and f.opcode == 0 and not in_message))
            if d == "fail-on-interleaved-control" and f.control and in_message:
                return await self.fail(1002)
            if d == "accept-fragmented-control" and f.control:
                f.raw[0] |= 0x80
            if d == "restart-interrupted-message" and f.opcode in (1, 2):
                held = bytearray() if not f.fin else None  # an unfinished message is dropped
            if f.opcode in (1, 2) or (f.opcode == 0 and in_message):
                in_message = not f.fin
            if f.opcode == 8 and not drop:
                self.client_closed.set()
            if held is not None and not f.control and len(held) + len(f.raw) + f.length <= HOLD_MAX:
                held += f.raw + await up.exactly(f.length)
                if not in_message:
                    await up.put(held)
                    held = None
                continue
            if held is not None and not f.control:  # too long to hold: forwarded as it comes
                await up.put(held)
                held = None
            if not drop:
                await up.put(f.raw)
            await up.payload(f, drop)

    async def server_frames(self):
        down = self.down
        while f := await down.frame_header():
            edit_pong = self.defect == "pong-wrong-payload" and f.opcode == 10
            edit_close = (self.defect == "close-reply-1000" and f.opcode == 8
                          and self.client_closed.is_set())  # the sidecar's reply to the client's
            self.server_closed |= f.opcode == 8
            if (edit_pong or edit_close) and f.length <= 125 and not f.masked:
                payload = await down.exactly(f.length)
                if edit_pong:
                    payload = bytes([payload[0] ^ 0x01]) + payload[1:] if payload else b"x"
                else:
                    payload = (1000).to_bytes(2, "big") + payload[2:]
                await down.put(server_frame(f.opcode, payload, f.rsv))
            else:
                await down.put(f.raw)
                await down.payload(f)

    async def fail(self, code):
        """Fails the WebSocket connection: close frame `code` to the client, then both TCP ends."""
        await self.down.put(server_frame(8, code.to_bytes(2, "big")))
        await self.down.flush()
        raise ConnectionAbortedError("front failed the connection")


async def serve_connection(defect, upstream, client_r, client_w):
    try:
        server = await asyncio.open_connection(*upstream)
    except OSError:
        client_w.close()
        return
    conn = Connection(defect, (client_r, client_w), server)
    c2s = asyncio.ensure_future(conn.client_to_server())
    s2c = asyncio.ensure_future(conn.server_to_client())
    try:
        await asyncio.wait([c2s, s2c], return_when=asyncio.FIRST_COMPLETED)
        if c2s.done() and not isinstance(c2s.exception(), ConnectionAbortedError):
            await asyncio.wait([s2c])  # the client's end: the sidecar may still answer or close
    finally:
        for task in (c2s, s2c):
            task.cancel()
        await asyncio.gather(c2s, s2c, return_exceptions=True)
        for w in (client_w, server[1]):
            w.close()


async def main(args):
    if args.defect not in DEFECTS and args.defect not in UNLISTED and args.defect != "none":
        sys.exit(f"wire_defects: unknown defect {args.defect!r}; see --list")
    hosts = [a for name in ("127.0.0.1", "localhost", "[::1]")
             for a in ("--allow-host", f"{name}:{args.port}")]
    child = await asyncio.create_subprocess_exec(*args.cmd, *hosts, stdout=asyncio.subprocess.PIPE)
    upstream = None
    while upstream is None:
        line = await child.stdout.readline()
        if not line:
            return await child.wait() or 1
        m = re.search(rb"listening on ws://(\[[^\]]*\]|[^:/\s]+):(\d+)/rpc", line)
        if m:
            upstream = (m.group(1).strip(b"[]").decode(), int(m.group(2)))
        else:
            sys.stdout.buffer.write(line)
    server = await asyncio.start_server(lambda r, w: serve_connection(args.defect, upstream, r, w),
                                        "127.0.0.1", args.port, limit=CHUNK)
    print(f"wire-defects listening on ws://127.0.0.1:{args.port}/rpc", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)

    async def relay_output():  # the sidecar's later output, to the same stdout
        while data := await child.stdout.read(CHUNK):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()

    relay = asyncio.ensure_future(relay_output())
    exited = asyncio.ensure_future(child.wait())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([exited, stopped], return_when=asyncio.FIRST_COMPLETED)
    server.close()
    if exited.done():
        await relay
        code = exited.result()
        return code if code >= 0 else 128 - code
    child.terminate()
    try:
        await asyncio.wait_for(exited, 10)
    except asyncio.TimeoutError:
        child.kill()
        await exited
    await relay
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the defects and exit")
    parser.add_argument("--tsv", action="store_true",
                        help="with --list: name, section, must-fail, may-also-fail, description")
    parser.add_argument("--defect", default="none")
    parser.add_argument("--port", type=int)
    parser.add_argument("cmd", nargs="*", help="the sidecar command, after --")
    args = parser.parse_args()
    if args.list:
        for name, what in DEFECTS.items():
            if args.tsv:
                section = re.search(r"\(§([\d.]+)\)$", what).group(1)
                must, may = EXPECTATIONS[name]
                print(f"{name}\t{section}\t{must}\t{may}\t{what.rsplit(' (§', 1)[0]}")
            else:
                print(f"{name}  {what}")
        sys.exit(0)
    if args.port is None or not args.cmd:
        parser.error("--port and a sidecar command after -- are required")
    sys.exit(asyncio.run(main(args)))
