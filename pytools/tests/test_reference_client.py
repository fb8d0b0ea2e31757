"""Story: the app uses a client that survives faults on its own (flakeconform.ReferenceClient, the
reference client). The network drops under a live log tail and comes back; later the sidecar
restarts. The client reconnects, resumes with no notification lost, and after the restart (sessions
do not survive one, §4.9) re-subscribes and goes on (protocol.md §6.2, §7.3, §7.4, §7.7)."""
import pytest

from flakeconform import Client, ReferenceClient


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
def test_reference_client_resumes_through_a_network_cut_without_loss(sidecar, fault_proxy):
    with ReferenceClient(fault_proxy.url, sidecar.token, backoff_base=0.1) as app:
        sub = app.subscribe("logs.subscribe", {"service": "vercel"})
        assert isinstance(sub.get("subscription"), str)
        emit(sidecar, 20)
        fault_proxy.cut()  # no close frame: an unexpected disconnect (§7.7)
        emit(sidecar, 20)  # generated while the session is detached, kept in its ring (§7.1)
        seen = events_until(app, lambda e: e["event"] == "resumed")
        assert any(e["event"] == "disconnected" for e in seen)
        # Every notification once, in seq order, across the cut: 40 entries in 8 updates.
        seqs = [e["seq"] for e in seen if e["event"] == "notification"]
        seqs += [e["seq"] for e in events_until(
            app, lambda e: e["event"] == "notification" and e["seq"] >= 8) if e["event"] == "notification"]
        assert seqs == list(range(1, seqs[-1] + 1)), f"seq not contiguous: {seqs}"
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
