"""Stories: an app with a stale token in its settings, and a web page in a browser trying to reach
the local sidecar. The first is refused with -32001 and locked out at the third attempt (close
4401); the second is refused with HTTP 403 before any upgrade (protocol.md §4.4-§4.7)."""
import pytest

from flakeconform import Client, ConnectionClosed, HandshakeError, RpcError, http_request


@pytest.mark.flake_auth
def test_wrong_token_is_refused_and_locked_out_at_the_third_attempt(sidecar):
    app = Client(sidecar.url, connect=False)
    app.connect(authenticate=False)

    for attempt in (1, 2):
        with pytest.raises(RpcError) as refused:
            app.authenticate("stale-token-from-old-settings")
        assert refused.value.code == -32001, f"attempt {attempt}"
    with pytest.raises(RpcError) as gated:
        app.call("vercel.getDashboard")
    assert gated.value.code == -32001
    assert "now" in app.call("system.ping"), "system.ping works before authentication (§4.5)"

    with pytest.raises(RpcError):
        app.authenticate("stale-token-from-old-settings")
    with pytest.raises(ConnectionClosed) as closed:
        app.receive(timeout=5)
    assert closed.value.code == 4401


@pytest.mark.flake_auth
def test_the_right_token_opens_a_session(sidecar):
    with Client(sidecar.url, sidecar.token) as app:
        assert app.session_id
        assert app.auth_result["server"]["protocol"] == "flake.v1"


@pytest.mark.flake_security
def test_foreign_origin_is_refused_before_the_upgrade(sidecar):
    with pytest.raises(HandshakeError) as refused:
        Client(sidecar.url, sidecar.token, origin="https://evil.example")
    assert refused.value.status == 403

    rest = http_request(sidecar.http_url, "GET", "/api/v1/health",
                        headers={"Origin": "https://evil.example"})
    assert rest.status == 403
    assert rest.json()["error"]["code"] == -32008


@pytest.mark.flake_security
def test_the_tauri_origin_is_welcome(sidecar):
    with Client(sidecar.url, sidecar.token, origin="tauri://localhost") as app:
        assert "now" in app.call("system.ping")
