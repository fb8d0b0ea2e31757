"""Story: the app uses a client that survives faults on its own (flakeconform.ReferenceClient, the
reference client). Its connection drops abruptly under a live log tail; later the sidecar
restarts. The client reconnects, resumes with no notification lost, and after the restart (sessions
do not survive one, §4.9) re-subscribes and goes on (protocol.md §6.2, §7.3, §7.4, §7.7)."""
import pytest

from flakeconform import Client, ConnectionClosed, ReferenceClient


def events_until(client, predicate, timeout=10.0):
    """Events up to and including the first that satisfies `predicate`; fails after `timeout`."""
    seen = []
    while True:
        event = client.next_event(timeout=timeout)
        assert event is not None, f"no matching event within {timeout} s; saw {seen[-5:]}"
        seen.append(event)
        if predicate(event):
            return seen


def emit(sidecar, count):
    with Client(sidecar.url, sidecar.token) as emitter:
        emitter.call("test.emitLogs", {"service": "vercel", "count": count, "perNotification": 5})


@pytest.mark.flake_resume
def test_reference_client_resumes_after_an_abrupt_disconnect_without_loss(sidecar):
    with ReferenceClient(sidecar.url, sidecar.token, backoff_base=0.1) as app:
        sub = app.subscribe("logs.subscribe", {"service": "vercel"})
        assert isinstance(sub.get("subscription"), str)
        emit(sidecar, 20)
        # test.dropSession closes the caller's TCP connection without a close frame and without an
        # answer (§11.4): an unexpected disconnect for the client (§7.7).
        with pytest.raises((ConnectionClosed, TimeoutError)):
            app.call("test.dropSession")
        emit(sidecar, 20)  # while detached or just resumed: either way nothing may be lost (§7.1)
        seen = events_until(app, lambda e: e["event"] == "resumed")
        assert any(e["event"] == "disconnected" for e in seen)
        # Every notification once, in seq order, across the drop: 40 entries in 8 updates.
        seqs = [e["seq"] for e in seen if e["event"] == "notification"]
        if not seqs or seqs[-1] < 8:
            seqs += [e["seq"] for e in events_until(
                app, lambda e: e["event"] == "notification" and e["seq"] >= 8)
                if e["event"] == "notification"]
        assert seqs == list(range(1, 9)), f"seq not contiguous: {seqs}"
        assert not any(e["event"] == "gap" for e in seen)
        assert app.call("system.ping")["now"] > 0
        assert not app.gave_up


@pytest.mark.flake_resume
def test_reference_client_resubscribes_after_a_sidecar_restart(sidecar_factory):
    restarted = sidecar_factory()
    with ReferenceClient(restarted.url, restarted.token, backoff_base=0.1) as app:
        app.subscribe("logs.subscribe", {"service": "vercel"})
        restarted.restart()
        # The old session is gone (-32007): the client subscribes again on its new session (§7.4).
        failed = events_until(app, lambda e: e["event"] == "resume_failed", timeout=15.0)[-1]
        assert failed["code"] == -32007, failed
        events_until(app, lambda e: e["event"] == "subscribed")
        emit(restarted, 5)
        update = events_until(app, lambda e: e["event"] == "notification")[-1]
        assert update["seq"] == 1  # the new session's first notification (§6.2)
        assert app.call("vercel.getDashboard")
