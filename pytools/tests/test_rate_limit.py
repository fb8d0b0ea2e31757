"""Story: a runaway front-end loop fires a burst of requests. The sidecar's token bucket refuses
the excess with -32002 and a retryAfterMs hint, never closes the connection, and after waiting
that long the app is served again (protocol.md §8.1-§8.3). A sidecar of its own runs with a small
bucket (--rate 20 --burst 10) so the burst stays small."""
import time

import pytest

from flakeconform import Client, RpcError

RATE, BURST = 20, 10


@pytest.mark.flake_security
def test_burst_is_refused_with_retry_after_and_then_served_again(sidecar_factory):
    limited = sidecar_factory("--rate", str(RATE), "--burst", str(BURST))
    with Client(limited.url, limited.token) as app:
        assert app.capabilities["rateLimit"] == {"rate": RATE, "burst": BURST}

        # Five times the bucket: refusals unless the sidecar took over 2 s to refill that much.
        answers = app.batch([("system.ping", None)] * (5 * BURST))

        served = [a for a in answers if "result" in a]
        refused = [a["error"] for a in answers if "error" in a]
        assert served and refused, "a burst of 5x the bucket must be partly served, partly refused"
        for error in refused:
            assert error["code"] == -32002
            assert isinstance(error["data"]["retryAfterMs"], int) and error["data"]["retryAfterMs"] >= 1

        # Honour the hint of the last refusal: one token is available again by then.
        time.sleep(refused[-1]["data"]["retryAfterMs"] / 1000.0)
        assert "now" in app.call("system.ping")
        assert app.connected, "the rate limit never closes a connection (§8.3)"


@pytest.mark.flake_security
def test_a_single_refused_call_raises_rpc_error_with_the_hint(sidecar_factory):
    limited = sidecar_factory("--rate", "1", "--burst", "2")
    with Client(limited.url, limited.token) as app:  # authenticating took one token
        app.call("system.ping")
        with pytest.raises(RpcError) as refused:
            for _ in range(3):
                app.call("system.ping")
        assert refused.value.code == -32002
        assert refused.value.data["retryAfterMs"] >= 1
