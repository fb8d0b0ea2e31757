"""Story: the metrics panel keeps working when the sidecar restarts. Sessions do not survive a
restart (protocol.md §4.9), so the app's resume is refused with -32007 and it subscribes again on
its new session (§7.4). This file is the example of docs/pytest-scenarios.md, verbatim."""
import pytest

from flakeconform import Client, ConnectionClosed, RpcError


def emitted_samples(subscription, count):
    """The next `count` samples made by test.emitMetrics (the sidecar may send its own too)."""
    samples = []
    while len(samples) < count:
        update = subscription.next(timeout=5)
        if "test.n" in update["metrics"]:
            samples.append(update)
    return samples


@pytest.mark.flake_resume
def test_metrics_panel_recovers_from_a_sidecar_restart(sidecar_factory):
    sidecar = sidecar_factory()  # a sidecar of its own: this test restarts it
    app = Client(sidecar.url, sidecar.token)
    panel = app.subscribe("metrics.subscribe", {"service": "aws"})
    app.call("test.emitMetrics", {"count": 6})  # samples 0 and 3 belong to aws (§11.3)
    assert [s["metrics"]["test.n"] for s in emitted_samples(panel, 2)] == [0, 3]
    old_session = app.session_id

    sidecar.restart()  # same port, new process
    with pytest.raises(ConnectionClosed):
        app.call("system.ping")

    app.connect()
    with pytest.raises(RpcError) as refused:
        app.resume(old_session, 0)
    assert refused.value.code == -32007  # the session died with the old process

    panel = app.subscribe("metrics.subscribe", {"service": "aws"})
    app.call("test.emitMetrics", {"count": 3})
    assert [s["metrics"]["test.n"] for s in emitted_samples(panel, 1)] == [0]
    app.close()
