"""Story: on a corporate network a middlebox blocks the WebSocket route (the fault proxy refuses
every connection). The app falls back to plain HTTP on the direct route: the dashboard over REST,
live logs over Server-Sent Events with a one-time ticket because EventSource cannot send headers
(docs/rest.md; protocol.md §4.11, §9)."""
import pytest

from flakeconform import Client, HandshakeError, SseStream, http_request

EMITTED = 20


@pytest.mark.flake_rest
@pytest.mark.flake_sse
def test_app_falls_back_to_rest_and_sse_when_the_websocket_is_blocked(sidecar, fault_proxy):
    fault_proxy.refuse(True)
    with pytest.raises(HandshakeError) as blocked:
        Client(sidecar.url, sidecar.token, via=fault_proxy, timeout=2)
    assert blocked.value.status == 0  # no HTTP answer at all: the port looks blocked

    bearer = {"Authorization": f"Bearer {sidecar.token}"}
    dashboard = http_request(sidecar.http_url, "GET", "/api/v1/multi/dashboard", headers=bearer)
    assert dashboard.status == 200
    assert {"vercel", "supabase", "aws"} <= set(dashboard.json()["services"])

    ticket = http_request(sidecar.http_url, "POST", "/api/v1/auth/ticket", headers=bearer, json={})
    assert ticket.status == 200
    logs = SseStream(sidecar.http_url, f"/api/v1/stream/logs/vercel?ticket={ticket.json()['ticket']}")
    assert logs.status == 200
    assert logs.header("content-type").startswith("text/event-stream")

    # The test driver (not the app) produces entries over its own, unblocked WebSocket.
    with Client(sidecar.url, sidecar.token) as driver:
        driver.call("test.emitLogs", {"service": "vercel", "count": EMITTED, "perNotification": 5})

    got, last_id = [], None
    while len(got) < EMITTED:
        event = logs.next(timeout=10)
        assert event is not None, "the stream ended early"
        assert event.event == "logs.update"
        update = event.json()
        assert int(event.id) == update["seq"]
        if last_id is not None:
            assert int(event.id) == last_id + 1, "SSE ids are consecutive: nothing lost"
        last_id = int(event.id)
        got += [e["n"] for e in update["entries"] if e.get("source") == "test.emitLogs"]
    assert got == list(range(EMITTED))

    reused = SseStream(sidecar.http_url, f"/api/v1/stream/logs/vercel?ticket={ticket.json()['ticket']}")
    assert reused.status == 401, "a ticket opens one stream only"
