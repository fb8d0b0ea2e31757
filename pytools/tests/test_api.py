"""The flakeconform API beyond the scenarios: value conversion, errors, subscriptions, raw frames,
sidecar control, fault proxy and run_conformance."""
import pytest

import flakeconform as fc


def test_values_cross_as_plain_python_objects():
    value = {"s": "é", "i": -5, "big": 2**64 - 1, "f": 1.5, "b": True, "n": None,
             "l": [1, [2, {"x": b"\x00\xff"}]]}
    assert fc.msgpack_decode(fc.msgpack_encode(value)) == value
    with pytest.raises(TypeError):
        fc.msgpack_encode({1: "non-string key"})
    with pytest.raises(OverflowError):
        fc.msgpack_encode(2**64)
    with pytest.raises(ValueError):
        fc.msgpack_decode(b"\xdc\xff\xff")  # an array announcing more than it holds


@pytest.mark.flake_core
def test_rpc_errors_carry_code_message_and_data(client):
    with pytest.raises(fc.RpcError) as error:
        client.call("vercel.getDeployments", {"limit": 0})
    assert error.value.code == -32602
    assert isinstance(error.value.message, str)
    with pytest.raises(fc.RpcError) as unknown:
        client.call("nope.nothing")
    assert unknown.value.code == -32601


@pytest.mark.flake_notifications
def test_subscription_take_and_unsubscribe(client):
    metrics = client.subscribe("metrics.subscribe", {"service": "aws"})
    client.call("test.emitMetrics", {"count": 9})
    updates = metrics.take(3, timeout=5)
    assert {u["service"] for u in updates} == {"aws"}
    assert metrics.unsubscribe() == {"ok": True}
    with pytest.raises(TimeoutError):
        client.next_notification(method="nothing.ever", timeout=0.1)


@pytest.mark.flake_framing
def test_raw_frames_for_negative_tests(client):
    client.send_text(b"\xff\xfe not utf-8")
    reply = client.receive_raw(timeout=5)
    assert (reply["kind"], reply["close_code"]) == ("close", 1007)


def test_sidecar_restart_keeps_its_port_and_kill_ends_it(sidecar_factory):
    own = sidecar_factory()
    url, pid = own.url, own.pid
    assert own.running and pid and own.rss_kib > 0
    own.restart()
    assert own.url == url and own.pid != pid
    with fc.Client(own.url, own.token) as c:
        assert "now" in c.call("system.ping")
    own.kill()
    assert not own.running and own.pid is None


def test_fault_proxy_stall_turns_into_a_timeout(sidecar, fault_proxy):
    with fc.Client(sidecar.url, sidecar.token, via=fault_proxy) as c:
        fault_proxy.stall(True)
        with pytest.raises(TimeoutError):
            c.call("system.ping", timeout=0.3)
        fault_proxy.stall(False)
        stats = fault_proxy.stats()
        assert stats["open"] == 1 and stats["to_client"] > 0


@pytest.mark.flake_core
def test_run_conformance_returns_one_result_per_case(sidecar):
    results = fc.run_conformance(sidecar.url, token=sidecar.token, select=["3.4"])
    assert results and all(r.id.startswith("3.4/") for r in results)
    assert {r.group for r in results} == {"core"}
    failed = [f"{r.id}: {r.message}" for r in results if r.status == "fail"]
    assert not failed, failed


@pytest.mark.flake_core
def test_notification_shapes_are_as_documented(client):
    """Subscription.next() gives params; next_notification() the whole message (pytest-scenarios.md)."""
    sub = client.subscribe("logs.subscribe", {"service": "supabase"})
    client.call("test.emitLogs", {"service": "supabase", "count": 2, "perNotification": 1})
    params = sub.next(timeout=5)
    assert params["subscription"] == sub.id and "jsonrpc" not in params
    message = client.next_notification(method="logs.update", timeout=5)
    assert message["jsonrpc"] == "2.0" and message["method"] == "logs.update"
    assert message["params"]["subscription"] == sub.id


@pytest.mark.flake_auth
def test_run_conformance_refuses_a_wrong_token_as_a_client_would(sidecar_factory):
    """Like the CLI's exit status 2: one exception, not a failed case per case. A sidecar of its
    own: refused tokens count towards a lockout (§4.6)."""
    sidecar = sidecar_factory()
    with pytest.raises(fc.RpcError) as refused:
        fc.run_conformance(sidecar.url, token="not-" + sidecar.token, select=["3.4"])
    assert refused.value.code == -32001
    with pytest.raises(fc.RpcError) as refused_by_client:
        fc.Client(sidecar.url, "not-" + sidecar.token)
    assert refused_by_client.value.code == refused.value.code


@pytest.mark.flake_core
def test_run_conformance_names_the_rpc_path_when_the_url_misses_it(sidecar):
    wrong = sidecar.url.rsplit("/", 1)[0] + "/"
    with pytest.raises(fc.HandshakeError) as unreachable:
        fc.run_conformance(wrong, token=sidecar.token, select=["3.4"])
    assert unreachable.value.status == 404
    assert sidecar.url in str(unreachable.value), str(unreachable.value)


def test_the_stubs_cover_every_public_name_and_method():
    import ast
    from pathlib import Path

    stub = ast.parse((Path(__file__).resolve().parents[1] / "flakeconform.pyi").read_text())
    stubbed = {}
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            stubbed[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        elif isinstance(node, ast.FunctionDef):
            stubbed[node.name] = set()
        elif isinstance(node, ast.AnnAssign):
            stubbed[node.target.id] = set()
    for name in (n for n in dir(fc) if not n.startswith("_")):
        assert name in stubbed, f"flakeconform.{name} has no stub"
        obj = getattr(fc, name)
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            public = {m for m in vars(obj) if not m.startswith("_")}
            missing = public - stubbed[name]
            assert not missing, f"{name}: no stub for {sorted(missing)}"
