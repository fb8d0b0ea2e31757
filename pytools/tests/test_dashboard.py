"""Story: the desktop app opens its dashboard. One JSON-RPC batch asks the three services for their
dashboards and the first page of deployments; every answer comes back, matched to its request by
id, and agrees with the combined multi.getDashboard document (protocol.md §3.4, §5.6-§5.7)."""
import pytest

SERVICES = ("vercel", "supabase", "aws")


@pytest.mark.flake_core
def test_dashboard_loads_three_services_in_one_batch(client):
    answers = client.batch(
        [(f"{s}.getDashboard", None) for s in SERVICES] + [("vercel.getDeployments", {"limit": 5})]
    )

    assert len(answers) == 4
    for service, answer in zip(SERVICES, answers):
        assert "error" not in answer, f"{service}.getDashboard failed: {answer}"
        assert isinstance(answer["result"], dict) and answer["result"], service
    page = answers[3]["result"]
    assert 1 <= len(page["deployments"]) <= 5
    assert page["pagination"]["total"] >= len(page["deployments"])

    combined = client.call("multi.getDashboard")["services"]
    assert set(SERVICES) <= set(combined)
    for service, answer in zip(SERVICES, answers):
        assert set(combined[service]) == set(answer["result"]), service


@pytest.mark.flake_core
def test_one_failing_member_does_not_spoil_the_batch(client):
    answers = client.batch([("vercel.getDashboard", None), ("nope.getDashboard", None),
                            ("aws.getDashboard", None)])

    assert "result" in answers[0] and "result" in answers[2]
    assert answers[1]["error"]["code"] in (-32601, -32004)


@pytest.mark.flake_msgpack
def test_dashboard_batch_in_messagepack_comes_back_binary(client):
    answers = client.batch([(f"{s}.getDashboard", None) for s in SERVICES], msgpack=True)

    assert client.last_reply_binary, "a MessagePack batch must be answered in a binary frame (§2.4)"
    assert [("result" in a) for a in answers] == [True, True, True]
