# Sessions and notifications of the toy flake.v1 sidecar (toy_sidecar.py), written from
# docs/protocol.md only, like the rest of the toy.
"""Sessions, subscriptions, notifications and resume for toy_sidecar.py.

§4.9 sessions; §5.9 logs.subscribe, §5.10 metrics.subscribe, §5.11 their unsubscribes; §6.1-§6.3
notifications with one seq counter per session; §7.1 retention (a detached session keeps its
subscriptions for 30 s and its ring fills); §7.2 replay ring (the last 10,000 notifications younger
than 60 s); §5.13/§7.3/§7.4 session.resume and its errors; §7.5 takeover; in conformance mode §11.2
test.emitLogs, §11.3 test.emitMetrics and §11.4 test.dropSession. There are no deployments, no
MessagePack and no log history: every notification is a text message.

A method is an async function (connection, params) -> result. It raises RpcError for an error
answer, and Drop to end the connection without a close frame and without an answer. A connection
offers: `session` (the attached Session), send_notification(bytes), hold(frames) (send these after
the answer to the current message), flush_held(), evict(code, reason), alive() and `w` (its writer).

THE SECOND DELIBERATE BUG (on with --ring-gap, see toy_sidecar.py): Session.publish leaves every
50th notification of a session out of the replay ring.
"""
import asyncio
import collections
import json
import secrets
import time

LEVELS = ["debug", "info", "warn", "error"]
SERVICES = ["aws", "supabase", "vercel"]  # sorted: §11.3a assigns sample n to SERVICES[n mod 3]
GRACE_MS = 30000  # §7.1a, advertised as capabilities.resumeGraceMs
RING_COUNT, RING_AGE_MS = 10000, 61000  # §7.2b: 10,000 notifications, 60 s (and 1 s to spare)
SEND_BUFFER_MAX = 64 * 1024 * 1024  # §8.7a: beyond it a connection is dropped (its session stays)
PACE_BYTES = 1024 * 1024  # an emitter waits for its caller's connection beyond this (§11.2f)
DEFAULT_GROUP = 100  # entries per logs.update when test.emitLogs gives no perNotification
MAX_EMIT = 1000000


def now_ms():
    return int(time.time() * 1000)  # the sidecar clock: the toy has no test.setClock offset


def compact(value):
    return json.dumps(value, separators=(",", ":")).encode()


def head(method, sub_id, service):
    """A notification's JSON text up to its seq (Session.publish appends seq and the rest)."""
    return b'{"jsonrpc":"2.0","method":"%s","params":{"subscription":%s,"service":%s,"seq":' % (
        method.encode(), compact(sub_id), compact(service))


class RpcError(Exception):
    """RpcError(code, message, data=None): the error answer of a method."""


class Drop(Exception):
    """test.dropSession: the connection ends without a close frame and without an answer (§11.4a)."""


def invalid(field):
    return RpcError(-32602, "Invalid params", {"field": field})


def not_found(kind, name):
    return RpcError(-32004, "Not found", {"resource": f"{kind}:{name}"})


def named(params):
    if not isinstance(params, dict):  # §3.6b: a method with parameters takes an object
        raise invalid("params")
    return params


def integer(params, name, low, high, required=True):
    """params[name] as an int in [low, high]; 5.0 and 5e0 count as 5 (§3.6i); null is a wrong type."""
    if name not in params:
        if required:
            raise invalid(name)
        return None
    v = params[name]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or isinstance(v, float) and not v.is_integer():
        raise invalid(name)
    if not low <= v <= high:
        raise invalid(name)
    return int(v)


def service_name(params, required=True):
    if "service" not in params and not required:
        return None
    name = params.get("service")
    if not isinstance(name, str):
        raise invalid("service")
    return name


class Session:
    """A session (§4.9): subscriptions, the seq counter (§6.2) and the replay ring (§7.2)."""

    def __init__(self, conn):
        self.id = secrets.token_hex(16)  # 128 random bits, [0-9a-f]
        self.seq = 0
        self.ring = collections.deque()  # (seq, generated at ms, the encoded notification)
        self.subs = {}  # id -> (family, service or None, lowest level index)
        self.made = 0  # subscriptions ever made: ids stay unique within the session
        self.conn, self.detached_at = conn, None

    def subscribe(self, family, service, level=0):
        self.made += 1
        sub_id = f"{family}-{self.made}"
        self.subs[sub_id] = (family, service, level)
        return sub_id

    def publish(self, start, tail, ring_gap):
        """One notification whose JSON text is start + seq + tail: it takes the next seq when it is
        generated, attached or not (§6.2d), goes into the ring, and to the connection if any."""
        self.seq += 1
        data = b"%s%d%s" % (start, self.seq, tail)
        t = now_ms()
        if not (ring_gap and self.seq % 50 == 0):  # THE SECOND DELIBERATE BUG (--ring-gap)
            self.ring.append((self.seq, t, data))
        self.trim(t)
        if self.conn is not None:
            self.conn.send_notification(data)

    def trim(self, t):
        while self.ring and (len(self.ring) > RING_COUNT or self.ring[0][1] <= t - RING_AGE_MS):
            self.ring.popleft()

    def missed(self, last_seq):
        """The recorded notifications after last_seq, or None when the ring no longer reaches back
        to last_seq + 1 (§7.4d). The ring is taken to be contiguous from its oldest seq on."""
        self.trim(now_ms())
        if last_seq == self.seq:
            return []
        if not self.ring or self.ring[0][0] > last_seq + 1:
            return None
        return [data for seq, _, data in self.ring if seq > last_seq]


class Hub:
    """Every session of the process, and the methods that act on sessions and notifications."""

    def __init__(self, conformance, ring_gap):
        self.sessions, self.ring_gap = {}, ring_gap
        self.methods = {"session.resume": self.resume, "logs.subscribe": self.logs_subscribe,
                        "logs.unsubscribe": self.unsubscriber("logs"),
                        "metrics.subscribe": self.metrics_subscribe,
                        "metrics.unsubscribe": self.unsubscriber("metrics")}
        if conformance:  # §11.1a
            self.methods.update({"test.emitLogs": self.emit_logs, "test.emitMetrics": self.emit_metrics,
                                 "test.dropSession": self.drop_session})

    def create(self, conn):
        session = Session(conn)  # §4.9a
        self.sessions[session.id] = session
        return session

    def detach(self, session, conn):
        """The connection ended (§7.1a): the session stays for the grace period, subscriptions on."""
        if session.conn is conn:
            session.conn, session.detached_at = None, now_ms()

    def live(self, session_id):
        """The session with this id, unless it is gone or its grace period has passed (§7.1c)."""
        session = self.sessions.get(session_id)
        if session is not None and session.conn is None and now_ms() - session.detached_at >= GRACE_MS:
            del self.sessions[session_id]
            return None
        return session

    async def sweep(self):
        """Discards expired sessions and ages the rings, twice a second (§7.1d asks for once)."""
        while True:
            await asyncio.sleep(0.5)
            t = now_ms()
            for session_id, session in list(self.sessions.items()):
                if self.live(session_id) is not None:
                    session.trim(t)

    def recipients(self, family, service):
        """(session, subscription id, level) for every subscription of the family that gets
        updates about `service`, attached or detached (§7.1b)."""
        for session in list(self.sessions.values()):
            for sub_id, (fam, svc, level) in list(session.subs.items()):
                if fam == family and svc in (None, service):
                    yield session, sub_id, level

    async def resume(self, conn, params):
        p = named(params)
        session_id = p.get("sessionId")
        if not isinstance(session_id, str):
            raise invalid("sessionId")  # §5.13a
        last_seq = integer(p, "lastSeq", 0, float("inf"))  # §5.13b
        if session_id == conn.session.id:
            raise invalid("sessionId")  # §7.4g
        target = self.live(session_id)
        if target is None:
            raise RpcError(-32007, "Session expired")  # §7.4a-c
        if last_seq > target.seq:
            raise invalid("lastSeq")  # §7.4f
        frames = target.missed(last_seq)
        if frames is None:
            raise RpcError(-32007, "Session expired")  # §7.4d, §7.4e: no partial replay
        if target.conn is not None:  # §7.5: attached elsewhere
            other, target.conn = target.conn, None
            other.session = None
            other.evict(1008, "session resumed elsewhere")
        del self.sessions[conn.session.id]  # §7.3f: the fresh session and its subscriptions go
        conn.session, target.conn, target.detached_at = target, conn, None  # §7.3e
        conn.hold(frames)  # §7.3b: after the response, before anything live
        return {"resumed": True, "replayed": len(frames)}

    async def logs_subscribe(self, conn, params):
        p = named(params)
        service = service_name(p)  # §5.9a
        level = p.get("level", "debug")  # §5.9b
        if not isinstance(level, str) or level not in LEVELS:
            raise invalid("level")  # §5.9c
        if service not in SERVICES:
            raise not_found("service", service)  # §5.2c, after every -32602 (§3.7b)
        return {"subscription": conn.session.subscribe("logs", service, LEVELS.index(level))}

    async def metrics_subscribe(self, conn, params):
        service = service_name(named(params), required=False)  # §5.10a
        if service is not None and service not in SERVICES:
            raise not_found("service", service)
        return {"subscription": conn.session.subscribe("metrics", service)}

    def unsubscriber(self, family):
        async def unsubscribe(conn, params):
            sub_id = named(params).get("subscription")
            if not isinstance(sub_id, str):
                raise invalid("subscription")
            if conn.session.subs.get(sub_id, ("",))[0] != family:
                raise not_found("subscription", sub_id)  # §5.11b: unknown, or another family's
            del conn.session.subs[sub_id]  # §5.11c: nothing more for it from here on
            return {"ok": True}  # §5.11a
        return unsubscribe

    async def emit_logs(self, conn, params):
        p = named(params)
        service = service_name(p)
        count = integer(p, "count", 0, MAX_EMIT)  # §11.2b
        group = integer(p, "perNotification", 1, 1000, required=False) or DEFAULT_GROUP
        if service not in SERVICES:
            raise not_found("service", service)  # §11.2a
        conn.flush_held()  # a resume or subscribe earlier in the batch: its notifications go first
        for start in range(0, count, group):
            t = now_ms()
            entries = [{"ts": t, "level": LEVELS[n % 4], "message": f"test entry {n}", "source": "test.emitLogs",
                        "n": n} for n in range(start, min(count, start + group))]  # §11.2c, §11.2e
            tails = {}  # lowest level -> the rest of the notification after seq (None: nothing left)
            for session, sub_id, level in self.recipients("logs", service):
                if level not in tails:  # §11.2d: filtered per subscription, empty ones not sent (§6.3c)
                    kept = [e for e in entries if LEVELS.index(e["level"]) >= level]
                    tails[level] = b',"entries":%s}}' % compact(kept) if kept else None
                if tails[level] is not None:
                    session.publish(head("logs.update", sub_id, service), tails[level], self.ring_gap)
            await self.pace(conn, start // group)
        return {"emitted": count}  # §11.2h: written after the call's last notification

    async def emit_metrics(self, conn, params):
        count = integer(named(params), "count", 0, MAX_EMIT)
        conn.flush_held()
        for n in range(count):
            service = SERVICES[n % len(SERVICES)]  # §11.3a
            tail = b',"metrics":%s}}' % compact({"test.n": n})  # §11.3c
            for session, sub_id, _ in self.recipients("metrics", service):  # §11.3b, §5.10c/d
                session.publish(head("metrics.update", sub_id, service), tail, self.ring_gap)
            await self.pace(conn, n)
        return {"emitted": count}

    async def drop_session(self, conn, params):
        raise Drop()  # §11.4a; the session is detached like after any other end (§11.4b)

    @staticmethod
    async def pace(conn, step):
        """§11.2f: emit as fast as the caller's connection takes it; other recipients are bounded by
        SEND_BUFFER_MAX instead. Lets the other connections run now and then."""
        if conn.alive() and conn.w.transport.get_write_buffer_size() > PACE_BYTES:
            try:
                await conn.w.drain()
            except (ConnectionError, OSError):
                pass  # the caller is gone: its session is detached and the emission goes on
        elif step % 50 == 49:
            await asyncio.sleep(0)
