#!/usr/bin/env python3
"""Compatibility referee: the real, unmodified python-kis 2.1.6 against the BrokerHub mock broker.

Steps (each must pass):
  1. quote        kis.stock(SYMBOL).quote()                       -> price > 0
  2. daily chart  stock.chart(start=today-30d, end=today)         -> >= 10 bars, sane OHLC
                  stock.chart("30d")                              -> >= 10 bars, sane OHLC
  3. realtime     stock.on("price", cb)  (H0STCNT0 over the KIS WebSocket)
                  -> >= MIN_TICKS ticks within TICK_TIMEOUT s, symbol == SYMBOL, price > 0
                  ticket.unsubscribe() -> OPSP0001 ack, then websocket.disconnect()

python-kis has no base-URL parameter, so the module-level domain constants are patched (the
library's code is not touched). Nothing here may ever reach a real broker: every patched URL is
checked to point at 127.0.0.1/localhost/::1 before the client is built, and socket.getaddrinfo is
wrapped to refuse any other host.

Environment:
  BROKERHUB_MOCK_URL      http://127.0.0.1:PORT      (required)
  BROKERHUB_MOCK_WS_URL   ws://127.0.0.1:PORT        (default: derived from BROKERHUB_MOCK_URL)
  KIS_APPKEY (36 chars), KIS_APPSECRET (180 chars), KIS_ACCOUNT ("50000000-01"), KIS_HTS_ID
  SYMBOL                  default 005930
  KIS_REFEREE_MIN_TICKS   default 3
  KIS_REFEREE_TICK_TIMEOUT  seconds, default 20
  KIS_REFEREE_TIMEOUT     whole-run watchdog in seconds, default 120 (python-kis sets no HTTP timeouts)

Output: one JSON line on stdout, {"referee":"kis","ok":true,...} and exit 0, or
{"referee":"kis","ok":false,"stage":...,"error":...} and exit 1. Library logs go to stderr.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta
from urllib.parse import urlsplit

REFEREE = "kis"
ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_stage = "setup"
_result: dict = {"referee": REFEREE}


class RefereeFailure(Exception):
    pass


def emit(ok: bool, **fields) -> None:
    out = dict(_result)
    out.update(ok=ok, **fields)
    sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(msg: str) -> None:
    raise RefereeFailure(msg)


def check(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)


# --------------------------------------------------------------------------- network guard

def _host_allowed(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None:
        return False
    return host.strip("[]").lower() in ALLOWED_HOSTS


def install_network_guard() -> None:
    """Defence in depth: refuse to resolve (and so to connect to) anything but loopback."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not _host_allowed(host):
            raise OSError(f"referee network guard: refusing to resolve {host!r} (only 127.0.0.1/localhost/::1)")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = guarded_getaddrinfo
    # Never route loopback traffic through a proxy taken from the environment.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "WS_PROXY", "WSS_PROXY",
                "http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


def require_local_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    check(parts.scheme in schemes, f"{name}={url!r}: scheme must be one of {schemes}")
    check(_host_allowed(parts.hostname), f"{name}={url!r}: host must be 127.0.0.1, localhost or ::1")
    check(parts.path in ("", "/") and not parts.query,
          f"{name}={url!r}: must be scheme://host:port only (python-kis joins absolute paths onto it)")
    return f"{parts.scheme}://{parts.netloc}"


def env(name: str, default: str | None = None) -> str:
    v = os.environ.get(name, default)
    if v is None or v == "":
        fail(f"environment variable {name} is not set")
    return v


# --------------------------------------------------------------------------- watchdog

def start_watchdog(seconds: float) -> None:
    def bite():
        time.sleep(seconds)
        emit(False, stage=_stage, error=f"watchdog: run exceeded {seconds:.0f} s (stuck in stage {_stage!r})")
        os._exit(1)

    threading.Thread(target=bite, name="referee-watchdog", daemon=True).start()


# --------------------------------------------------------------------------- main

class LogCollector(logging.Handler):
    """Keeps python-kis warnings/errors so a failure can say why (e.g. a frame it could not parse)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        try:
            self.records.append(f"{record.levelname}: {record.getMessage()}"[:500])
        except Exception:
            pass


def num(d) -> str:
    """Decimal -> plain string (python-kis normalizes Decimals, which would print as 7.1E+4)."""
    return format(d, "f")


def sane_bar(bar, where: str) -> None:
    o, h, l, c = bar.open, bar.high, bar.low, bar.close
    check(h >= l, f"{where}: high {h} < low {l}")
    check(l > 0, f"{where}: low {l} <= 0")
    check(l <= o <= h and l <= c <= h, f"{where}: open {o}/close {c} outside [low {l}, high {h}]")
    check(bar.volume >= 0, f"{where}: negative volume {bar.volume}")


def check_chart(chart, label: str, today, min_bars: int = 10) -> dict:
    bars = list(chart.bars)
    check(len(bars) >= min_bars, f"{label}: {len(bars)} bars, expected >= {min_bars}")
    dates = [b.time.date() for b in bars]
    check(dates == sorted(dates), f"{label}: bars not in ascending date order: {dates[:3]}...")
    check(len(set(dates)) == len(dates), f"{label}: duplicate bar dates (pagination overlap?)")
    check(dates[-1] <= today, f"{label}: bar dated {dates[-1]} is after today (KST) {today}")
    for b in bars:
        sane_bar(b, f"{label} bar {b.time.date()}")
    return {"bars": len(bars), "first": str(dates[0]), "last": str(dates[-1]), "last_close": num(bars[-1].close)}


def run() -> None:
    global _stage

    mock_url = env("BROKERHUB_MOCK_URL")
    base = require_local_url("BROKERHUB_MOCK_URL", mock_url, ("http", "https"))
    ws_default = ("wss" if base.startswith("https") else "ws") + base[base.index(":"):]
    ws_base = require_local_url("BROKERHUB_MOCK_WS_URL", env("BROKERHUB_MOCK_WS_URL", ws_default), ("ws", "wss"))
    appkey = env("KIS_APPKEY")
    appsecret = env("KIS_APPSECRET")
    account = env("KIS_ACCOUNT")
    hts_id = env("KIS_HTS_ID")
    symbol = env("SYMBOL", "005930")
    min_ticks = int(env("KIS_REFEREE_MIN_TICKS", "3"))
    tick_timeout = float(env("KIS_REFEREE_TICK_TIMEOUT", "20"))
    check(len(appkey) == 36, f"KIS_APPKEY must be 36 characters (python-kis KisKey rule), got {len(appkey)}")
    check(len(appsecret) == 180, f"KIS_APPSECRET must be 180 characters (python-kis KisKey rule), got {len(appsecret)}")
    _result.update(url=base, ws_url=ws_base, symbol=symbol)

    # ---- patch python-kis domains
    _stage = "patch"
    import pykis  # noqa: F401  (import has no network side effects in 2.1.6)
    import pykis.__env__ as pk_env
    import pykis.logging as pk_logging

    pk_kis = sys.modules["pykis.kis"]
    pk_ws = sys.modules["pykis.client.websocket"]
    for mod in (pk_env, pk_kis):
        mod.REAL_DOMAIN = base
        mod.VIRTUAL_DOMAIN = base
    for mod in (pk_env, pk_ws):
        mod.WEBSOCKET_REAL_DOMAIN = ws_base
        mod.WEBSOCKET_VIRTUAL_DOMAIN = ws_base

    # Every *DOMAIN* / *URL* string constant in every loaded pykis module must now be local.
    checked = 0
    for name, mod in list(sys.modules.items()):
        if not (name == "pykis" or name.startswith("pykis.")) or mod is None:
            continue
        for attr, value in list(vars(mod).items()):
            if ("DOMAIN" in attr or attr.endswith("_URL")) and isinstance(value, str) and "://" in value:
                check(_host_allowed(urlsplit(value).hostname), f"{name}.{attr}={value!r} still points off-host")
                checked += 1
    check(checked >= 4, f"expected to verify >= 4 patched domain constants, found {checked}")
    _result["patched_constants"] = checked

    # python-kis logs to stdout; keep stdout for the summary line.
    collector = LogCollector()
    for h in pk_logging.logger.handlers:
        if isinstance(h, logging.StreamHandler):
            h.setStream(sys.stderr)
    pk_logging.logger.addHandler(collector)

    # ---- build the client (real-domain mode: no virtual_* keys; no token file)
    _stage = "construct"
    from pykis import PyKis

    kis = PyKis(id=hts_id, account=account, appkey=appkey, secretkey=appsecret,
                keep_token=False, use_websocket=True)
    check(not kis.virtual, "client unexpectedly in virtual mode")

    from zoneinfo import ZoneInfo
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()

    try:
        # ---- 1. quote
        _stage = "quote"
        stock = kis.stock(symbol)  # inquire-price (market probe) + search-info (CTPF1604R)
        check(stock.symbol == symbol, f"stock scope symbol {stock.symbol!r} != {symbol!r} (search-info shtn_pdno)")
        check(stock.market == "KRX", f"stock scope market {stock.market!r} != 'KRX'")
        q = stock.quote()
        check(q.price > 0, f"quote price {q.price} <= 0")
        check(q.symbol == symbol, f"quote symbol {q.symbol!r} != {symbol!r}")
        check(q.high >= q.low, f"quote high {q.high} < low {q.low}")
        _result["quote"] = {"price": num(q.price), "open": num(q.open), "high": num(q.high), "low": num(q.low),
                            "volume": q.volume, "change": num(q.change), "sign": q.sign}

        # ---- 2. daily chart (explicit dates, then a timex expression that sends FID_INPUT_DATE_1=00000101)
        _stage = "daily_chart"
        chart = stock.chart(start=today - timedelta(days=30), end=today)
        _result["daily_chart"] = check_chart(chart, "chart(start=today-30d, end=today)", today)
        _stage = "daily_chart_timex"
        chart2 = stock.chart("30d")
        _result["daily_chart_30d"] = check_chart(chart2, 'chart("30d")', today)

        # ---- 3. realtime ticks (KIS_REFEREE_REALTIME=0 skips them: e.g. many instances through the hub's
        # proxy, where only one WebSocket session per app key is allowed)
        if os.environ.get("KIS_REFEREE_REALTIME", "1") != "0":
            _stage = "realtime_subscribe"
            ws = kis.websocket
            ticks: list[tuple[str, str, str]] = []
            bad: list[str] = []
            got_ticks = threading.Event()
            subscribed = threading.Event()
            unsubscribed = threading.Event()

            def on_subscribed(sender, e):
                if e.tr.id == "H0STCNT0" and e.tr.key == symbol:
                    subscribed.set()

            def on_unsubscribed(sender, e):
                if e.tr.id == "H0STCNT0" and e.tr.key == symbol:
                    unsubscribed.set()

            def on_price(sender, e):
                r = e.response
                if r.symbol != symbol or not (r.price > 0):
                    bad.append(f"symbol={r.symbol!r} price={r.price}")
                ticks.append((r.symbol, num(r.price), r.time.isoformat()))
                if len(ticks) >= min_ticks:
                    got_ticks.set()

            sub_ticket = ws.subscribed_event.on(on_subscribed)
            unsub_ticket = ws.unsubscribed_event.on(on_unsubscribed)
            t0 = time.monotonic()
            ticket = stock.on("price", on_price)

            _stage = "realtime_ack"
            if not subscribed.wait(min(10.0, tick_timeout)):
                fail("no OPSP0000 subscribe ack for H0STCNT0/%s within %.0f s; client log: %s"
                     % (symbol, min(10.0, tick_timeout), collector.records[-5:]))
            _stage = "realtime_ticks"
            if not got_ticks.wait(max(0.0, tick_timeout - (time.monotonic() - t0))):
                fail(f"only {len(ticks)} tick(s) in {tick_timeout:.0f} s, expected >= {min_ticks}; "
                     f"client log: {collector.records[-5:]}")
            elapsed = time.monotonic() - t0
            check(not bad, f"bad ticks: {bad[:3]}")

            _stage = "realtime_unsubscribe"
            ticket.unsubscribe()  # reference count -> 0 -> tr_type "2" request
            if not unsubscribed.wait(5.0):
                fail("no OPSP0001 unsubscribe ack within 5 s; client log: %s" % collector.records[-5:])
            check(not ws.subscriptions, f"client still holds subscriptions: {ws.subscriptions}")
            sub_ticket.unsubscribe()
            unsub_ticket.unsubscribe()

            _stage = "realtime_close"
            thread = ws.thread
            ws.disconnect()
            if thread is not None:
                # websocket-client's dispatcher only notices the closed socket at its next select()
                # timeout (10 s when no ping_timeout is set), so allow for that.
                t_close = time.monotonic()
                thread.join(15.0)
                check(not thread.is_alive(), "websocket thread did not stop within 15 s of disconnect()")
                _result["ws_thread_stop_s"] = round(time.monotonic() - t_close, 2)
            _result["realtime"] = {"ticks": len(ticks), "seconds_to_min_ticks": round(elapsed, 2),
                                   "first": ticks[0], "last": ticks[-1]}
    finally:
        try:
            kis.close()
        except Exception:
            pass

    _stage = "done"
    errors = [r for r in collector.records if r.startswith(("ERROR", "CRITICAL"))]
    check(not errors, f"python-kis logged errors during the run: {errors[:3]}")


def main() -> int:
    install_network_guard()
    start_watchdog(float(os.environ.get("KIS_REFEREE_TIMEOUT", "120")))
    try:
        run()
    except RefereeFailure as e:
        emit(False, stage=_stage, error=str(e))
        return 1
    except Exception as e:  # library exceptions (KisAPIError, KisHTTPError, KeyError, ValueError, ...)
        traceback.print_exc(file=sys.stderr)
        emit(False, stage=_stage, error=f"{type(e).__name__}: {e}"[:2000])
        return 1
    emit(True)
    return 0


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)  # do not wait on library daemon threads
