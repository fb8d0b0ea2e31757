#!/usr/bin/python3
"""Driver of the spec-only Python client for the suite's client mode (§13).

    driver.py URL TOKEN

Runs the fixed workload of §13.3 and writes the event lines of §13.4, one
JSON object per line on standard output, flushed per line. Diagnostics go to
standard error. Exits on SIGTERM (or SIGINT).
"""

import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flake_client import (  # noqa: E402
    CallTimeout, FlakeClient, GaveUp, LargeRejected, RpcError, TransportError,
)

_out_lock = threading.Lock()


def emit(ev):
    line = json.dumps(ev, separators=(",", ":"))
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(text):
    try:
        sys.stderr.write("[driver %.3f] %s\n" % (time.monotonic(), text))
        sys.stderr.flush()
    except OSError:
        pass


def env_int(name, default):
    v = os.environ.get(name)
    if v is None or v.strip() == "":
        return default
    try:
        return int(v)
    except ValueError:
        log("ignoring malformed %s=%r" % (name, v))
        return default


def call_event(method, kind, value=None):
    ev = {"event": "call", "method": method, "outcome": kind}
    if kind == "error":
        ev["code"] = value.code
    emit(ev)


def main(argv):
    url = argv[1] if len(argv) > 1 else os.environ.get("FLAKE_URL")
    token = argv[2] if len(argv) > 2 else os.environ.get("FLAKE_TOKEN")
    if not url or not token:
        sys.stderr.write("usage: driver.py URL TOKEN (or FLAKE_URL, FLAKE_TOKEN)\n")
        return 2
    services = [s.strip() for s in os.environ.get("FLAKE_SERVICES", "vercel,supabase").split(",")]
    if len(services) != 2 or not all(services):
        log("FLAKE_SERVICES must name two services; using vercel,supabase")
        services = ["vercel", "supabase"]
    svc_s, svc_t = services
    backoff_ms = env_int("FLAKE_BACKOFF_BASE_MS", 1000)
    # FLAKE_BREAKER_OPEN_MS is read and deliberately unused: this client has
    # no circuit breaker (§7.8), see README.md.
    env_int("FLAKE_BREAKER_OPEN_MS", 30000)
    timeout_ms = env_int("FLAKE_CALL_TIMEOUT_MS", 10000)
    interval_ms = env_int("FLAKE_CALL_INTERVAL_MS", 1000)

    client = FlakeClient(url, token, backoff_base_ms=backoff_ms, call_timeout_ms=timeout_ms,
                         client_info={"version": "0.1.0", "platform": sys.platform},
                         on_event=emit, log=log)

    def on_signal(signum, frame):
        # Best effort: a close frame, then out. Never block here.
        try:
            conn = client._conn
            client._stopped = True
            if conn is not None and conn.ws._send_lock.acquire(timeout=0.1):
                conn.ws._send_lock.release()
                conn.client_closing = True
                conn.ws.send_close(1001, "driver stopping")
        except Exception:
            pass
        try:
            sys.stdout.flush()
        except Exception:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # Steps 1 and 2: connect, authenticate (inside the client, with §7.7's attempts).
    client.start()
    try:
        # Step 3.
        for method in ("logs.subscribe", "metrics.subscribe"):
            for _ in range(3):  # a subscription cut off by a disconnect is asked for again
                try:
                    client.subscribe(method, {"service": svc_s})
                    break
                except RpcError as e:
                    log("%s failed: %s" % (method, e))
                    break
                except (TransportError, CallTimeout) as e:
                    log("%s failed: %r; retrying" % (method, e))

        # Step 4: one batch of three requests.
        calls = [("system.ping", None), (svc_s + ".getDashboard", None), (svc_t + ".getDashboard", None)]
        for (method, _), (kind, value) in zip(calls, client.batch(calls)):
            call_event(method, kind, value)

        # Step 5: three exports, each assembled, verified and decoded.
        for fmt, compress in (("json", None), ("msgpack", None), ("msgpack", True)):
            for attempt in range(3):
                ev = {"event": "large", "format": fmt, "compressed": bool(compress)}
                try:
                    entries = client.get_large(svc_s, "1h", fmt, compress)
                    ev.update(outcome="verified", entries=len(entries))
                    break
                except LargeRejected as e:
                    ev.update(outcome="rejected", reason=e.reason)
                    if e.code is not None:
                        ev["code"] = e.code
                    # Chunks lost with a connection are not replayed (§6.9):
                    # ask again on the next connection.
                    if e.reason != "transport":
                        break
                    log("export lost with its connection; asking again")
            emit(ev)

        # Step 6: the call loop.
        n = 0
        while True:
            method = (svc_s if n % 2 == 0 else svc_t) + ".getDashboard"
            n += 1
            try:
                client.call(method)
                call_event(method, "result")
            except RpcError as e:
                call_event(method, "error", e)
            except TransportError:
                call_event(method, "transport")
            except CallTimeout:
                call_event(method, "timeout")
            time.sleep(interval_ms / 1000.0)
    except GaveUp:
        log("client gave up; idling until stopped")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
