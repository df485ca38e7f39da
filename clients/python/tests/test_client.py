"""The Python client against a live hub on the project's mock broker."""
from __future__ import annotations

import asyncio
import http.server
import json
import threading

import pytest

import brokerhub
from brokerhub import (APIHubClient, AsyncBrokerHub, BrokerHub, ConnectionFailed, IdempotencyConflict, InvalidRequest,
                       NotFound, QueueFull, Unauthorized)


def test_execute_returns_normalised_records(stack):
    hub = BrokerHub(stack.hub.url)
    result = hub.execute("kis", "FHKST01010100", {"FID_INPUT_ISCD": "005930"})
    assert result.records[0]["type"] == "quote" and result.records[0]["symbol"] == "005930"
    assert result.records[0]["price"] > 0 and result.meta["attempts"] >= 1
    # The original design's spelling works too.
    legacy = APIHubClient(stack.hub.url).execute("kiwoom", "ka10001", {"stk_cd": "005930"}, 10)
    assert legacy.records[0]["provider"] == "kiwoom"


def test_quote_and_candles_for_both_providers(stack):
    hub = BrokerHub(stack.hub.url)
    for provider in ("kis", "kiwoom"):
        quote = hub.quote("005930", provider=provider)
        assert quote["symbol"] == "005930" and quote["provider"] == provider
    candles = hub.candles("005930", provider="kis", interval="1d", start="20261101", end="20261130")
    assert candles and all(c["interval"] == "1d" and c["symbol"] == "005930" for c in candles)
    assert len({c["start"] for c in candles}) == len(candles), "pages followed without duplicates"
    trades = hub.trades("005930", provider="kis")
    assert len(trades) == 30 and all(t["type"] == "tick" for t in trades)
    assert [t["time"] for t in trades] == sorted(t["time"] for t in trades), "oldest first"


def test_jobs_submit_wait_and_cancel(stack):
    hub = BrokerHub(stack.hub.url)
    job = hub.submit("kis", "FHKST01010100", {"FID_INPUT_ISCD": "000660"}, priority="snapshot")
    assert job.id and job.state in ("queued", "leased", "succeeded")
    done = hub.wait(job.id, timeout=30)
    assert done.state == "succeeded" and done.result.records[0]["symbol"] == "000660"
    with pytest.raises(NotFound):
        hub.job("00000000-0000-0000-0000-000000000000")
    queued = hub.submit("kis", "FHKST01010100", {"FID_INPUT_ISCD": "005380"}, idempotency_key="py-cancel-1")
    cancelled = hub.cancel(queued.id)
    assert cancelled.id == queued.id and cancelled.state in ("cancelled", "succeeded", "leased")


def test_errors_are_typed_with_the_hubs_codes(stack):
    hub = BrokerHub(stack.hub.url)
    with pytest.raises(InvalidRequest) as unsupported:
        hub.execute("kis", "NOPE", {})
    assert unsupported.value.code == "request.unsupported_tr" and unsupported.value.status == 400
    with pytest.raises(NotFound) as unknown:
        hub.quote("999999")
    assert unknown.value.code == "broker.not_found" and unknown.value.broker["provider"] == "kis"
    hub.submit("kis", "FHKST01010100", {"FID_INPUT_ISCD": "005930"}, idempotency_key="py-key-1")
    with pytest.raises(IdempotencyConflict):
        hub.submit("kis", "FHKST01010100", {"FID_INPUT_ISCD": "000660"}, idempotency_key="py-key-1")
    with pytest.raises(ValueError):
        hub.execute("kis", "FHKST01010100", {}, priority="urgent")
    with pytest.raises(ConnectionFailed):
        BrokerHub("http://127.0.0.1:9", max_retries=0).status()
    assert isinstance(unknown.value, brokerhub.BrokerHubError)


def test_api_keys_are_sent_and_never_echoed(keyed_stack):
    keyed = keyed_stack.hub
    with pytest.raises(Unauthorized):
        BrokerHub(keyed.url).status()
    with pytest.raises(Unauthorized):
        BrokerHub(keyed.url, api_key="wrong").execute("kis", "FHKST01010100", {"FID_INPUT_ISCD": "005930"})
    hub = BrokerHub(keyed.url, api_key="py-secret-key")
    assert hub.execute("kis", "FHKST01010100", {"FID_INPUT_ISCD": "005930"}).records
    status = json.dumps(hub.status())
    assert "py-secret-key" not in status and all(secret not in status for secret in keyed_stack.secrets)


def test_the_async_client(stack):
    async def main():
        hub = AsyncBrokerHub(stack.hub.url)
        results = await asyncio.gather(*[hub.execute("kis", "FHKST01010100", {"FID_INPUT_ISCD": s})
                                         for s in ("005930", "000660", "035420")])
        assert [r.records[0]["symbol"] for r in results] == ["005930", "000660", "035420"]
        job = await hub.submit("kiwoom", "ka10001", {"stk_cd": "000660"})
        assert (await hub.wait(job.id, timeout=30)).state == "succeeded"
        with pytest.raises(NotFound):
            await hub.quote("999999")
        assert (await hub.status())["providers"]
    asyncio.run(main())


class _Busy(http.server.BaseHTTPRequestHandler):
    """Answers 429 with Retry-After twice, then a result: what a full queue looks like."""
    answers = []

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, body, headers = _Busy.answers.pop(0)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        data = json.dumps(body).encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_429_is_retried_after_retry_after_then_raised():
    full = (429, {"error": {"code": "hub.queue_full", "message": "queue full"}}, {"Retry-After": "1"})
    ok = (200, {"records": [{"type": "quote"}], "skipped": [], "meta": {}}, {})
    server = http.server.HTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        waits = []
        hub = BrokerHub(f"http://127.0.0.1:{server.server_address[1]}", max_retries=2, sleep=waits.append)
        _Busy.answers = [full, full, ok]
        assert hub.execute("kis", "FHKST01010100", {"FID_INPUT_ISCD": "005930"}).records == [{"type": "quote"}]
        assert waits == [1.0, 1.0], "each retry waits what Retry-After says"
        _Busy.answers = [full, full, full]
        with pytest.raises(QueueFull) as refused:
            hub.execute("kis", "FHKST01010100", {"FID_INPUT_ISCD": "005930"})
        assert refused.value.retry_after == 1.0 and refused.value.code == "hub.queue_full"
    finally:
        server.shutdown()


def test_stream_yields_live_records_filtered_and_limited(streaming_stack):
    hub = BrokerHub(streaming_stack.hub.url)
    records = list(hub.stream(symbols=["005930"], channels=["ticker"], limit=5))
    assert len(records) == 5
    assert all(r["channel"] == "ticker" and r["type"] == "tick" and r["symbol"] == "005930" and r["provider"] == "kis" for r in records)
    assert all(r["price"] > 0 and r["id"] for r in records)
    assert len({r["id"] for r in records}) == 5
    both = list(hub.stream(symbols="005930,000660", limit=20))
    assert {r["symbol"] for r in both} <= {"005930", "000660"}
    assert hub.status()["stream"]["events_sent"] >= 25


def test_stream_async_and_its_errors(streaming_stack):
    async def first_three():
        hub = AsyncBrokerHub(streaming_stack.hub.url)
        got = []
        async for record in hub.stream(symbols=["000660"], limit=3):
            got.append(record)
        return got
    records = asyncio.run(first_three())
    assert [r["symbol"] for r in records] == ["000660"] * 3
    with pytest.raises(InvalidRequest) as bad:
        next(BrokerHub(streaming_stack.hub.url).stream(channels=["trades"]))
    assert bad.value.code == "request.invalid_argument" and "channel" in str(bad.value)


def test_stream_without_a_bus_is_unavailable(stack):
    with pytest.raises(brokerhub.Unavailable) as unavailable:
        next(BrokerHub(stack.hub.url, max_retries=0).stream())
    assert unavailable.value.status == 503
