"""Story: support asks for the last hour of supabase logs. The app requests a large export in
MessagePack, receives the metadata and then the data.chunk stream in binary frames, checks byte
count and SHA-256 before using the data, and finds every entry (protocol.md §6.7-§6.10, §11.6)."""
import hashlib
import zlib

import pytest

from flakeconform import msgpack_decode

ENTRIES = 20000  # about 1.3 MB of MessagePack: more than one 1 MiB chunk


@pytest.mark.flake_large_data
@pytest.mark.flake_msgpack
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "zlib"])
def test_large_log_export_in_messagepack_arrives_intact(client, compress):
    client.call("test.emitLogs", {"service": "supabase", "count": ENTRIES, "perNotification": 1000},
                timeout=30)

    meta = client.call("logs.getLarge", {"service": "supabase", "timeRange": "1h",
                                         "format": "msgpack", "compress": compress}, msgpack=True)
    assert client.last_reply_binary
    assert (meta["format"], meta["compressed"]) == ("msgpack", compress)

    payloads = []
    for index in range(meta["chunks"]):
        chunk = client.next_notification(method="data.chunk", timeout=10)["params"]
        assert (chunk["stream"], chunk["index"]) == (meta["stream"], index)
        assert isinstance(chunk["payload"], bytes), "msgpack chunks carry a bin payload (§6.9)"
        assert len(chunk["payload"]) <= 1 << 20
        payloads.append(chunk["payload"])

    raw = b"".join(payloads)
    assert len(raw) == meta["bytes"]
    assert hashlib.sha256(raw).hexdigest() == meta["sha256"]

    entries = []
    for payload in payloads:
        entries += msgpack_decode(zlib.decompress(payload) if compress else payload)
    assert len(entries) == meta["totalEntries"]
    assert [e["ts"] for e in entries] == sorted(e["ts"] for e in entries)
    ours = [e["n"] for e in entries if e.get("source") == "test.emitLogs"]
    assert ours[-ENTRIES:] == list(range(ENTRIES)), "the export holds the burst in order"
