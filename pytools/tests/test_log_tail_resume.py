"""Story: an operator tails the vercel logs live while the laptop's network drops abruptly (the
fault proxy cuts the connection, no close frame). Entries keep coming meanwhile. The app
reconnects, authenticates and resumes its session with the last seq it saw: it gets every missed
notification once, in order, with its original seq, then live ones (protocol.md §6.2, §7.1-§7.3)."""
import pytest

from flakeconform import Client, ConnectionClosed

EMITTED = 40  # test.emitLogs entries per burst (§11.2)


def is_emitted(entry):
    return entry.get("source") == "test.emitLogs"


class Tail:
    """What the app keeps: the last seq seen and every emitted entry number, per burst."""

    def __init__(self):
        self.last_seq = 0
        self.emitted = []

    def take(self, update):
        expected = self.last_seq + 1
        assert update["seq"] == expected, (
            f"seq {update['seq']} after {self.last_seq}: "
            + ("a duplicate" if update["seq"] <= self.last_seq else "a gap (data lost)"))
        self.last_seq = update["seq"]
        self.emitted += [e["n"] for e in update["entries"] if is_emitted(e)]

    def read_until(self, subscription, count, timeout=10.0):
        while len(self.emitted) < count:
            self.take(subscription.next(timeout=timeout))


@pytest.mark.flake_resume
@pytest.mark.flake_notifications
def test_log_tail_survives_an_abrupt_disconnect_without_loss(sidecar, fault_proxy):
    app = Client(sidecar.url, sidecar.token, via=fault_proxy)
    tail = app.subscribe("logs.subscribe", {"service": "vercel"})
    session = app.session_id
    seen = Tail()

    with Client(sidecar.url, sidecar.token) as producer:
        producer.call("test.emitLogs", {"service": "vercel", "count": EMITTED, "perNotification": 4})
        seen.read_until(tail, EMITTED)
        assert seen.emitted == list(range(EMITTED))

        fault_proxy.cut()
        # The app reads what had already arrived, then notices the drop.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                seen.take(tail.next(timeout=5.0))
        assert closed.value.code == 1006  # no close frame: an abrupt end

        # Entries produced while the app is away must not be lost.
        producer.call("test.emitLogs", {"service": "vercel", "count": EMITTED, "perNotification": 4})

    app.connect()  # through the proxy again; a fresh session until resumed
    resumed = app.resume(session, seen.last_seq)
    assert resumed["resumed"] is True
    assert resumed["replayed"] >= EMITTED // 4  # at least the notifications of the second burst

    seen.read_until(tail, 2 * EMITTED)
    assert seen.emitted == list(range(EMITTED)) * 2, "every entry exactly once, in order"
    app.close()
