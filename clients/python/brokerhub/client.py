"""The synchronous client: the standard library only (urllib), one connection per call."""
from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional

from .errors import BrokerHubError, ConnectionFailed, error_for

PRIORITIES = ("realtime_critical", "interactive", "snapshot", "backfill")
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass
class Result:
    """A finished call: normalised ``records`` (one dict each), rows the hub could not normalise (``skipped``)
    and ``meta`` (task_id, attempts, queue_wait_ms, pages, cached, coalesced, source_type)."""

    records: List[Dict[str, Any]]
    skipped: List[Any] = field(default_factory=list)
    meta: Dict[str, Any] = field(default_factory=dict)
    raw: Optional[List[Any]] = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Result":
        return cls(records=list(body.get("records", [])), skipped=list(body.get("skipped", [])),
                   meta=dict(body.get("meta", {})), raw=body.get("raw"))


@dataclass
class Job:
    """A queued call (``submit``): its id and state; ``result`` once it succeeded, ``error`` once it failed."""

    id: str
    state: str
    body: Dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def result(self) -> Optional[Result]:
        value = self.body.get("result")
        return Result.from_json(value) if isinstance(value, dict) else None

    @property
    def error(self) -> Optional[Dict[str, Any]]:
        value = self.body.get("error")
        return value if isinstance(value, dict) else None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Job":
        job = body.get("job", body)
        return cls(id=str(job.get("id", "")), state=str(job.get("state", "")), body=dict(job))


class BrokerHub:
    """A BrokerHub client. Every call goes through the hub's one token, rate budget, queue and breaker.

    ``base_url``: the hub (``http://127.0.0.1:8080``). ``api_key``: one of ``BROKERHUB_API_KEYS`` when the hub
    has keys. 429 (queue full) and 503 (circuit open, unavailable) are retried up to ``max_retries`` times,
    waiting what ``Retry-After`` says (at most ``max_retry_wait`` seconds each time); other errors raise the
    typed ``BrokerHubError`` subclass of their code.
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8080", api_key: Optional[str] = None, *, max_retries: int = 3,
                 max_retry_wait: float = 30.0, http_timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.http_timeout = http_timeout
        self._sleep = sleep

    # -- calls -------------------------------------------------------------------------------------------

    def execute(self, provider: str, tr_id: str, params: Optional[Mapping[str, Any]] = None, timeout: float = 10.0, *,
                priority: str = "interactive", max_pages: int = 1, account: Optional[str] = None,
                idempotency_key: Optional[str] = None, raw: bool = False) -> Result:
        """Runs one broker transaction (``tr_id``, e.g. ``FHKST01010100``) and waits for it; ``timeout`` in seconds."""
        body = self._request_body(provider, tr_id, params, timeout, priority, max_pages, account, idempotency_key)
        return Result.from_json(self._call("POST", "/v1/execute" + ("?raw=1" if raw else ""), body))

    def submit(self, provider: str, tr_id: str, params: Optional[Mapping[str, Any]] = None, timeout: float = 60.0, *,
               priority: str = "backfill", max_pages: int = 1, account: Optional[str] = None,
               idempotency_key: Optional[str] = None) -> Job:
        """Queues a transaction and returns at once (``job`` / ``wait`` read it later)."""
        body = self._request_body(provider, tr_id, params, timeout, priority, max_pages, account, idempotency_key)
        return Job.from_json(self._call("POST", "/v1/jobs", body))

    def job(self, job_id: str) -> Job:
        return Job.from_json(self._call("GET", "/v1/jobs/" + urllib.parse.quote(job_id, safe="")))

    def cancel(self, job_id: str) -> Job:
        return Job.from_json(self._call("DELETE", "/v1/jobs/" + urllib.parse.quote(job_id, safe="")))

    def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.2) -> Job:
        """Polls a job until it is finished (or ``timeout`` seconds pass: raises ``TimeoutError``)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.finished:
                return job
            if time.monotonic() >= deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            self._sleep(poll)

    def quote(self, symbol: str, provider: str = "kis") -> Dict[str, Any]:
        """One quote (a normalised record)."""
        body = self._call("GET", f"/v1/quotes/{urllib.parse.quote(symbol, safe='')}?" + urllib.parse.urlencode({"provider": provider}))
        return dict(body.get("quote", {})) if isinstance(body, dict) else {}

    def candles(self, symbol: str, provider: str = "kis", interval: str = "1d", start: Optional[str] = None,
                end: Optional[str] = None) -> List[Dict[str, Any]]:
        """Candles of a range (``YYYYMMDD``), every broker page followed by the hub."""
        query = {"provider": provider, "interval": interval}
        if start:
            query["from"] = start
        if end:
            query["to"] = end
        body = self._call("GET", f"/v1/candles/{urllib.parse.quote(symbol, safe='')}?" + urllib.parse.urlencode(query))
        return list(body.get("candles", [])) if isinstance(body, dict) else []

    def trades(self, symbol: str, provider: str = "kis") -> List[Dict[str, Any]]:
        """The trades the broker still serves, oldest first (KIS: the last 30 of today; Kiwoom: today's session)."""
        query = urllib.parse.urlencode({"provider": provider})
        body = self._call("GET", f"/v1/trades/{urllib.parse.quote(symbol, safe='')}?" + query)
        return list(body.get("trades", [])) if isinstance(body, dict) else []

    def status(self) -> Dict[str, Any]:
        """``/v1/status``: queue, budgets, breakers, tokens (no secret)."""
        return self._call("GET", "/v1/status")

    def stream(self, symbols: Optional[Iterable[str]] = None, channels: Optional[Iterable[str]] = None,
               providers: Optional[Iterable[str]] = None, limit: Optional[int] = None, *, reconnect: bool = True,
               read_timeout: float = 60.0) -> Iterator[Dict[str, Any]]:
        """The pipeline's live records (``/v1/stream``), one dict each as they are published: ``channel``
        (``ticker``, ``orderbook``, ``system``), ``type`` (``tick``, ``orderbook``, ``alert``), ``provider``,
        ``symbol`` and the record's fields. Filters are lists (``symbols=["005930"]``); ``limit`` ends the
        iteration after that many records. Live, not durable: records published while disconnected are not
        replayed (the archive has them). With ``reconnect`` a dropped connection is opened again (after the
        hub's ``retry`` delay), giving up after ``max_retries`` failed attempts in a row; a bad filter raises
        ``InvalidRequest``, a hub without a bus ``Unavailable``."""
        query: Dict[str, str] = {}
        for name, values in (("symbol", symbols), ("channel", channels), ("provider", providers)):
            if values is not None:
                items = [values] if isinstance(values, str) else list(values)
                if items:
                    query[name] = ",".join(items)
        remaining = limit
        failures = 0
        retry = 2.0
        while remaining is None or remaining > 0:
            if remaining is not None:
                query["limit"] = str(remaining)
            path = "/v1/stream" + ("?" + urllib.parse.urlencode(query) if query else "")
            try:
                response = self._open(path, accept="text/event-stream", timeout=read_timeout)
            except ConnectionFailed:
                failures += 1
                if not reconnect or failures > self.max_retries:
                    raise
                self._sleep(retry)
                continue
            failures = 0
            try:
                for field_name, value in _server_sent_events(response):
                    if field_name == "retry":
                        retry = max(0.1, int(value) / 1000.0)
                        continue
                    record = json.loads(value)
                    yield record
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            return
            except (OSError, ValueError, http.client.HTTPException):
                if not reconnect:
                    raise ConnectionFailed("client.connection", f"{self.base_url}/v1/stream was cut") from None
            finally:
                response.close()
            if not reconnect:
                return
            self._sleep(retry)

    def catalog(self) -> Dict[str, Any]:
        return self._call("GET", "/v1/catalog")

    def health(self) -> bool:
        try:
            self._call("GET", "/health", retry=False)
            return True
        except BrokerHubError:
            return False

    # -- plumbing ----------------------------------------------------------------------------------------

    @staticmethod
    def _request_body(provider: str, tr_id: str, params: Optional[Mapping[str, Any]], timeout: float, priority: str,
                      max_pages: int, account: Optional[str], idempotency_key: Optional[str]) -> Dict[str, Any]:
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        body: Dict[str, Any] = {"provider": provider, "tr_id": tr_id, "params": dict(params or {}),
                                "priority": priority, "timeout_ms": max(1, int(timeout * 1000)), "max_pages": max_pages}
        if account is not None:
            body["account"] = account
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        return body

    def _call(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None, retry: bool = True) -> Any:
        attempt = 0
        while True:
            try:
                return self._send(method, path, body)
            except BrokerHubError as error:
                retriable = error.status in (429, 503) and retry and attempt < self.max_retries
                if not retriable:
                    raise
                attempt += 1
                wait = error.retry_after if error.retry_after is not None else min(2.0 ** attempt, 8.0)
                self._sleep(max(0.0, min(wait, self.max_retry_wait)))

    def _send(self, method: str, path: str, body: Optional[Mapping[str, Any]]) -> Any:
        with self._open(path, method=method, body=body) as response:
            return _decode(response.read())

    def _open(self, path: str, method: str = "GET", body: Optional[Mapping[str, Any]] = None,
              accept: str = "application/json", timeout: Optional[float] = None) -> Any:
        """The open response of one request; an error answer raises its typed error."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", accept)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.api_key:
            request.add_header("X-API-Key", self.api_key)
        try:
            return urllib.request.urlopen(request, timeout=timeout if timeout is not None else self.http_timeout)
        except urllib.error.HTTPError as answer:
            text = answer.read()
            retry_after = answer.headers.get("Retry-After")
            raise error_for(answer.code, _decode(text), retry_after=_seconds(retry_after)) from None
        except (urllib.error.URLError, OSError) as failure:
            raise ConnectionFailed("client.connection", f"{self.base_url} not reachable: {failure}") from None


def _server_sent_events(response: Any) -> Iterator[tuple]:
    """``(field, value)`` of a ``text/event-stream``: each event's joined ``data`` lines as ``("data", …)``, and
    ``("retry", ms)``; comments and ids are skipped."""
    data: List[str] = []
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield "data", "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "retry" and value.isdigit():
            yield "retry", value


def _decode(data: bytes) -> Any:
    if not data:
        return {}
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


def _seconds(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# The original design's name for it: ``APIHubClient(base_url).execute(provider, tr_id, params, timeout)``.
APIHubClient = BrokerHub
