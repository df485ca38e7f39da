#!/usr/bin/env python3
"""Compatibility referee: the real, unmodified kiwoom-client 0.4.0 against the BrokerHub mock broker.

Steps (each must pass):
  1. token        api.login()                  POST /oauth2/token -> token + expires_dt (YYYYMMDDHHmmss KST, future)
  2. ka10081      api.chart.stock_daily_chart(stk_cd=SYMBOL, base_dt=today KST, upd_stkpc_tp="1")
                  -> >= 10 rows of stk_dt_pole_chart_qry, newest first, sane OHLC
                  if the response says cont-yn: Y, the next page (cont-yn: Y + next-key) must continue
                  strictly older with no overlap
  3. (opt-in, KIWOOM_REFEREE_WS=1) WebSocket /api/dostk/websocket: LOGIN, REG 0B SYMBOL,
                  >= 3 REAL items, REMOVE, close

kiwoom-client takes base_url=; its class-level URL constants are patched too (defence in depth).
Every URL is checked to point at 127.0.0.1/localhost/::1 and socket.getaddrinfo refuses any other host.

Environment:
  BROKERHUB_MOCK_URL      http://127.0.0.1:PORT      (required)
  BROKERHUB_MOCK_WS_URL   ws://127.0.0.1:PORT        (default: derived; used only with KIWOOM_REFEREE_WS=1)
  KIWOOM_APPKEY, KIWOOM_SECRETKEY                   (required)
  SYMBOL                  default 005930
  KIWOOM_REFEREE_WS       1 to also exercise the WebSocket (default 0)
  KIWOOM_REFEREE_TIMEOUT  whole-run watchdog in seconds, default 90

Output: one JSON line on stdout, {"referee":"kiwoom","ok":true,...} and exit 0, or
{"referee":"kiwoom","ok":false,"stage":...,"error":...} and exit 1.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

REFEREE = "kiwoom"
ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
KST = timezone(timedelta(hours=9))

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


def _host_allowed(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None:
        return False
    return host.strip("[]").lower() in ALLOWED_HOSTS


def install_network_guard() -> None:
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not _host_allowed(host):
            raise OSError(f"referee network guard: refusing to resolve {host!r} (only 127.0.0.1/localhost/::1)")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = guarded_getaddrinfo
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "WS_PROXY", "WSS_PROXY",
                "http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


def require_local_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    check(parts.scheme in schemes, f"{name}={url!r}: scheme must be one of {schemes}")
    check(_host_allowed(parts.hostname), f"{name}={url!r}: host must be 127.0.0.1, localhost or ::1")
    check(parts.path in ("", "/") and not parts.query, f"{name}={url!r}: must be scheme://host:port only")
    return f"{parts.scheme}://{parts.netloc}"


def env(name: str, default: str | None = None) -> str:
    v = os.environ.get(name, default)
    if v is None or v == "":
        fail(f"environment variable {name} is not set")
    return v


def start_watchdog(seconds: float) -> None:
    def bite():
        time.sleep(seconds)
        emit(False, stage=_stage, error=f"watchdog: run exceeded {seconds:.0f} s (stuck in stage {_stage!r})")
        os._exit(1)

    threading.Thread(target=bite, name="referee-watchdog", daemon=True).start()


def price(row: dict, field: str, where: str) -> int:
    """ka10081 prices carry no sign in practice; tolerate one (Kiwoom signs prices elsewhere)."""
    raw = row.get(field)
    check(isinstance(raw, str) and raw.strip() != "", f"{where}: field {field!r} missing or empty ({raw!r})")
    try:
        return abs(int(raw.replace(",", "").strip()))
    except ValueError:
        fail(f"{where}: field {field!r}={raw!r} is not an integer string")
        raise  # unreachable


def check_rows(rows, today, symbol_label: str) -> list[str]:
    check(isinstance(rows, list), f"stk_dt_pole_chart_qry is {type(rows).__name__}, expected list")
    dates = []
    for i, row in enumerate(rows):
        where = f"{symbol_label} row {i}"
        check(isinstance(row, dict), f"{where}: not an object")
        dt = row.get("dt", "")
        try:
            d = datetime.strptime(dt, "%Y%m%d").date()
        except (TypeError, ValueError):
            fail(f"{where}: dt={dt!r} is not YYYYMMDD")
        check(d <= today, f"{where}: dt {dt} is after today (KST) {today}")
        o, h, l, c = (price(row, f, where) for f in ("open_pric", "high_pric", "low_pric", "cur_prc"))
        check(h >= l, f"{where} ({dt}): high {h} < low {l}")
        check(l > 0, f"{where} ({dt}): low {l} <= 0")
        check(l <= o <= h and l <= c <= h, f"{where} ({dt}): open {o}/close {c} outside [low {l}, high {h}]")
        vol = row.get("trde_qty", "")
        check(isinstance(vol, str) and vol.lstrip("+-").isdigit(), f"{where} ({dt}): trde_qty={vol!r} not an integer string")
        dates.append(dt)
    check(all(a > b for a, b in zip(dates, dates[1:])), f"{symbol_label}: rows not strictly newest-first: {dates[:5]}...")
    return dates


def run() -> None:
    global _stage

    base = require_local_url("BROKERHUB_MOCK_URL", env("BROKERHUB_MOCK_URL"), ("http", "https"))
    ws_default = ("wss" if base.startswith("https") else "ws") + base[base.index(":"):]
    ws_base = require_local_url("BROKERHUB_MOCK_WS_URL", env("BROKERHUB_MOCK_WS_URL", ws_default), ("ws", "wss"))
    app_key = env("KIWOOM_APPKEY")
    secret = env("KIWOOM_SECRETKEY")
    symbol = env("SYMBOL", "005930")
    want_ws = os.environ.get("KIWOOM_REFEREE_WS", "0") == "1"
    _result.update(url=base, symbol=symbol)

    _stage = "patch"
    import kiwoom_client
    from kiwoom_client import KiwoomAPI, KiwoomWebSocket
    from kiwoom_client.base import _ClientCore

    _ClientCore.PROD_URL = base
    _ClientCore.MOCK_URL = base
    KiwoomWebSocket.PROD_WS_URL = ws_base + "/api/dostk/websocket"
    KiwoomWebSocket.MOCK_WS_URL = ws_base + "/api/dostk/websocket"

    checked = 0
    for name, mod in list(sys.modules.items()):
        if not (name == "kiwoom_client" or name.startswith("kiwoom_client.")) or mod is None:
            continue
        for obj in [mod] + [v for v in vars(mod).values() if isinstance(v, type)]:
            for attr, value in list(vars(obj).items()):
                if ("URL" in attr or "DOMAIN" in attr) and isinstance(value, str) and "://" in value:
                    check(_host_allowed(urlsplit(value).hostname), f"{name}.{getattr(obj, '__name__', '')}.{attr}={value!r} still points off-host")
                    checked += 1
    check(checked >= 4, f"expected to verify >= 4 patched URL constants, found {checked}")
    _result["patched_constants"] = checked
    _result["client_version"] = getattr(kiwoom_client, "__version__", "?")

    _stage = "construct"
    api = KiwoomAPI(app_key, secret, base_url=base, is_mock=False)
    check(api._base_client.base_url == base and api._auth.base_url == base,
          f"client base_url not local: {api._base_client.base_url!r} / {api._auth.base_url!r}")
    today = datetime.now(KST).date()
    try:
        # ---- 1. token
        _stage = "token"
        tok = api.login()
        token = tok.get("token") or tok.get("access_token")
        check(bool(token), f"token response has no token: keys {sorted(tok)}")
        exp_raw = tok.get("expires_dt")
        check(isinstance(exp_raw, str) and len(exp_raw) == 14 and exp_raw.isdigit(),
              f"expires_dt={exp_raw!r}, expected YYYYMMDDHHmmss")
        exp = datetime.strptime(exp_raw, "%Y%m%d%H%M%S").replace(tzinfo=KST)
        remaining = (exp - datetime.now(KST)).total_seconds()
        check(remaining > 600, f"expires_dt {exp_raw} (read as KST) is only {remaining:.0f} s away")
        check(api._auth.expires_at is not None, "kiwoom-client could not parse the token expiry")
        _result["token"] = {"expires_dt": exp_raw, "hours_left_kst": round(remaining / 3600, 2),
                            "token_type": tok.get("token_type")}

        # ---- 2. ka10081
        _stage = "ka10081"
        data = api.chart.stock_daily_chart(stk_cd=symbol, base_dt=today.strftime("%Y%m%d"), upd_stkpc_tp="1")
        check(data.get("return_code", 0) == 0, f"return_code={data.get('return_code')!r}")
        if "stk_cd" in data:
            check(data["stk_cd"] == symbol, f"stk_cd {data['stk_cd']!r} != {symbol!r}")
        check("stk_dt_pole_chart_qry" in data, f"no stk_dt_pole_chart_qry in response: keys {sorted(data)}")
        rows = data["stk_dt_pole_chart_qry"]
        check(len(rows) >= 10, f"{len(rows)} rows, expected >= 10")
        dates = check_rows(rows, today, "page 1")
        summary = {"rows": len(rows), "newest": dates[0], "oldest": dates[-1],
                   "newest_close": rows[0]["cur_prc"], "cont_yn": data.get("cont-yn"), "pages": 1}

        if data.get("cont-yn") == "Y":
            _stage = "ka10081_page2"
            nk = data.get("next-key", "")
            check(bool(nk), "cont-yn: Y but next-key is empty")
            page2 = api.chart.stock_daily_chart(cont_yn="Y", next_key=nk, stk_cd=symbol,
                                                base_dt=today.strftime("%Y%m%d"), upd_stkpc_tp="1")
            rows2 = page2.get("stk_dt_pole_chart_qry") or []
            check(len(rows2) > 0, "continuation page is empty although cont-yn was Y")
            dates2 = check_rows(rows2, today, "page 2")
            check(dates2[0] < dates[-1], f"page 2 starts at {dates2[0]}, not strictly older than page 1's {dates[-1]}")
            summary.update(pages=2, page2_rows=len(rows2), page2_newest=dates2[0])
        _result["ka10081"] = summary

        # ---- 3. optional WebSocket
        if want_ws:
            _stage = "websocket"
            import asyncio

            async def ws_check():
                items = []
                done = asyncio.Event()
                ws = KiwoomWebSocket(api._auth.get_valid_token(), is_mock=False)
                check(ws.ws_url == ws_base + "/api/dostk/websocket", f"ws_url {ws.ws_url!r}")

                def on_0b(item):
                    items.append(item)
                    if len(items) >= 3:
                        done.set()

                ws.on("0B", on_0b)
                await ws.connect()  # LOGIN must be answered first
                await ws.subscribe("0B", symbol)
                listener = asyncio.create_task(ws.listen())
                try:
                    await asyncio.wait_for(done.wait(), 20)
                finally:
                    await ws.unsubscribe("0B", symbol)
                    await ws.disconnect()
                    listener.cancel()
                for it in items:
                    check(it.get("item") == symbol, f"REAL item {it.get('item')!r} != {symbol!r}")
                    v = (it.get("values") or {}).get("10", "")
                    check(v.lstrip("+-").isdigit() and int(v.lstrip("+-")) > 0, f"REAL 0B field 10 (price) = {v!r}")
                return len(items)

            try:
                n = asyncio.run(ws_check())
            except asyncio.TimeoutError:
                fail("fewer than 3 REAL 0B items within 20 s")
            _result["websocket"] = {"real_items": n}
    finally:
        try:
            api.close()
        except Exception:
            pass
    _stage = "done"


def main() -> int:
    install_network_guard()
    start_watchdog(float(os.environ.get("KIWOOM_REFEREE_TIMEOUT", "90")))
    try:
        run()
    except RefereeFailure as e:
        emit(False, stage=_stage, error=str(e))
        return 1
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        emit(False, stage=_stage, error=f"{type(e).__name__}: {e}"[:2000])
        return 1
    emit(True)
    return 0


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)
