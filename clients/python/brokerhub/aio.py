"""The asyncio client: the same calls as ``BrokerHub``, awaitable. Each call runs the synchronous client in
a worker thread (``asyncio.to_thread``), so it needs nothing beyond the standard library; the event loop is
never blocked."""
from __future__ import annotations

import asyncio
import functools
from typing import Any, AsyncIterator, Dict, List, Mapping, Optional

from .client import BrokerHub, Job, Result


class AsyncBrokerHub:
    """``await AsyncBrokerHub(url).execute("kis", "FHKST01010100", {...})`` — see ``BrokerHub``."""

    def __init__(self, base_url: str = "http://127.0.0.1:8080", api_key: Optional[str] = None, **options: Any) -> None:
        self._sync = BrokerHub(base_url, api_key, **options)

    async def _run(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))

    async def execute(self, provider: str, tr_id: str, params: Optional[Mapping[str, Any]] = None, timeout: float = 10.0,
                      **options: Any) -> Result:
        return await self._run(self._sync.execute, provider, tr_id, params, timeout, **options)

    async def submit(self, provider: str, tr_id: str, params: Optional[Mapping[str, Any]] = None, timeout: float = 60.0,
                     **options: Any) -> Job:
        return await self._run(self._sync.submit, provider, tr_id, params, timeout, **options)

    async def job(self, job_id: str) -> Job:
        return await self._run(self._sync.job, job_id)

    async def cancel(self, job_id: str) -> Job:
        return await self._run(self._sync.cancel, job_id)

    async def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.2) -> Job:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            job = await self.job(job_id)
            if job.finished:
                return job
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            await asyncio.sleep(poll)

    async def quote(self, symbol: str, provider: str = "kis") -> Dict[str, Any]:
        return await self._run(self._sync.quote, symbol, provider)

    async def candles(self, symbol: str, provider: str = "kis", interval: str = "1d", start: Optional[str] = None,
                      end: Optional[str] = None) -> List[Dict[str, Any]]:
        return await self._run(self._sync.candles, symbol, provider, interval, start, end)

    async def trades(self, symbol: str, provider: str = "kis") -> List[Dict[str, Any]]:
        return await self._run(self._sync.trades, symbol, provider)

    async def status(self) -> Dict[str, Any]:
        return await self._run(self._sync.status)

    async def stream(self, **options: Any) -> AsyncIterator[Dict[str, Any]]:
        """``async for record in hub.stream(symbols=["005930"])`` — see ``BrokerHub.stream``; each read waits in a
        worker thread."""
        records = self._sync.stream(**options)
        done = object()
        try:
            while True:
                record = await self._run(next, records, done)
                if record is done:
                    return
                yield record
        finally:
            try:
                records.close()
            except ValueError:  # a read still running in its thread: it ends with the connection's next line
                pass
