"""The staff dashboard's costs, in real headless Chromium where a browser is involved.

1. device event -> shown in the browser, p99: the lamp toggled on the loop thread every
   40 ms; the page's MutationObserver stamps when its row's label changed (the browser's
   wall clock, same machine). Raw baseline: a bare Starlette SSE stream pushing the same
   text from a thread to a page that only sets textContent.
2. press -> handler p99 with 5 dashboards open (5 SSE clients reading) vs none: the
   installation's own latency, bench_latency's method; "raw" is the same run without a
   dashboard. Target: <= 1.2x.
3. RSS of `museokit run` with the dashboard on (after a login and a page) vs off.
4. fleet page first paint, 100 sites x 5 nodes x 3 devices from a real Mosquitto's
   retained topics; raw baseline: the same HTML served as a static page.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import Result, percentile, progress, report, rss_mb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_latency import museokit_latencies  # noqa: E402

from tests.dash_fixtures import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    PIECE,
    Client,
    start_piece,
    stop_piece,
)
from tests.net_fixtures import Broker, free_port, wait_for  # noqa: E402

TOGGLES = 300
GAP = 0.04

OBSERVE = """
(sel) => { window.__seen = []; const el = document.querySelector(sel);
  new MutationObserver(() => window.__seen.push(performance.timeOrigin + performance.now()))
    .observe(el, {childList: true, characterData: true, subtree: true}); }
"""


def _browser() -> Any:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    return pw, pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def event_to_browser(browser: Any, folder: Path) -> list[float]:
    piece = start_piece(folder)
    try:
        page = browser.new_page()
        page.goto(piece.dash.url + "/login")
        page.fill("input[name=user]", "staff")
        page.fill("input[name=password]", piece.passwords["staff"])
        page.click("form.login button")
        sel = f'[data-dev="{piece.runtime.installation.site}/main/lamp"] .label'
        page.wait_for_selector(sel, state="attached")
        wait_for(lambda: len(piece.dash.clients) == 1, what="the page's live stream")
        page.evaluate(OBSERVE, sel)
        sent: list[float] = []
        loop = piece.runtime.loop
        lamp = piece.runtime.devices["lamp"]
        for _ in range(TOGGLES):
            sent.append(time.time() * 1000)
            loop.call_soon_threadsafe(lamp.toggle)
            time.sleep(GAP)
        time.sleep(0.5)
        seen = page.evaluate("window.__seen")
        page.close()
    finally:
        stop_piece(piece)
    return _pair(sent, seen)


def _pair(sent: list[float], seen: list[float]) -> list[float]:
    """Each change seen, matched to the latest toggle sent before it (ms)."""
    out, i = [], 0
    for t in seen:
        while i + 1 < len(sent) and sent[i + 1] <= t:
            i += 1
        out.append(t - sent[i])
    return out


RAW_PAGE = ('<!doctype html><html><body><span id="x">-</span><script>'
            'new EventSource("/s").onmessage = e => { document.getElementById("x").textContent'
            ' = e.data; };</script></body></html>')


def raw_to_browser(browser: Any) -> list[float]:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, StreamingResponse
    from starlette.routing import Route

    queues: list[asyncio.Queue[str]] = []
    loop_box: list[asyncio.AbstractEventLoop] = []

    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse(RAW_PAGE)

    async def stream(request: Any) -> StreamingResponse:
        q: asyncio.Queue[str] = asyncio.Queue()
        queues.append(q)
        loop_box.append(asyncio.get_running_loop())

        async def gen() -> Any:
            while True:
                yield f"data: {await q.get()}\n\n"
        return StreamingResponse(gen(), media_type="text/event-stream")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/", page), Route("/s", stream)]),
                                           port=port, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="the raw server")
    try:
        p = browser.new_page()
        p.goto(f"http://127.0.0.1:{port}/")
        wait_for(lambda: queues, what="the raw stream")
        p.evaluate(OBSERVE, "#x")
        sent: list[float] = []
        for i in range(TOGGLES):
            sent.append(time.time() * 1000)
            loop_box[0].call_soon_threadsafe(queues[0].put_nowait, "on" if i % 2 else "off")
            time.sleep(GAP)
        time.sleep(0.5)
        seen = p.evaluate("window.__seen")
        p.close()
    finally:
        server.should_exit = True
        thread.join(10)
    return _pair(sent, seen)


def press_with_dashboards(folder: Path, clients: int) -> float:
    """bench_latency's press -> handler p99 (µs), its runtime serving a dashboard that
    `clients` live pages (SSE readers) watch; 0: no dashboard at all."""
    import bench_latency

    if clients == 0:
        return percentile(museokit_latencies(bench_latency.SAMPLES)[0], 99)
    original = bench_latency.Runtime
    stop = threading.Event()

    class Attached(original):  # type: ignore[misc,valid-type]
        def start(self) -> None:
            super().start()
            from museokit.dashboard.attach import serve

            self.served = serve(self, folder / "state")
            dash = self.served.dashboard
            password = dash.accounts.add("v", "viewer")
            for _ in range(clients):
                threading.Thread(target=_watch, args=(dash.address, password, stop),
                                 daemon=True).start()
            wait_for(lambda: len(dash.clients) == clients, what="the pages to connect")

        def close(self) -> None:
            stop.set()
            self.served.close()
            super().close()

    bench_latency.Runtime = Attached
    try:
        return percentile(museokit_latencies(bench_latency.SAMPLES)[0], 99)
    finally:
        bench_latency.Runtime = original


def _watch(address: str, password: str, stop: threading.Event) -> None:
    port = int(address.rsplit(":", 1)[1])
    c = Client(port)
    c.login("v", password)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/events", headers={"Cookie": f"mk_session={c.cookies['mk_session']}"})
    resp = conn.getresponse()
    while not stop.is_set() and resp.fp.readline():
        pass
    conn.close()




def run_rss_mb(folder: Path, on: bool) -> float:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    text = PIECE.format(port=port)
    (folder / "installation.toml").write_text(
        text if on else text.replace("[dashboard]", "[dashboard]\nenabled = false"))
    env = {**os.environ, "MUSEOKIT_STATE_DIR": str(folder / "state"), "PYTHONUNBUFFERED": "1"}
    if on:
        subprocess.run([str(Path(sys.executable).with_name("museokit")), "dashboard", "user", "add",
                        "t", str(folder), "--role", "technician"], env=env, check=True,
                       capture_output=True)
        accounts = json.loads((folder / "state" / folder.name / "main" /
                               "dashboard-accounts.json").read_text())
        assert "t" in accounts
    proc = subprocess.Popen([str(Path(sys.executable).with_name("museokit")), "run", str(folder)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if " ready — " in line:
            break
    if on:
        Client(port).get("/login")
    time.sleep(1.0)
    rss = rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)
    return rss


def fleet_paint(browser: Any, folder: Path) -> tuple[float, float]:
    from museokit.core.nodes import parse_broker_url
    from museokit.core.opsconfig import DashboardConfig
    from museokit.dashboard.feeds import MqttFeed
    from museokit.dashboard.server import Dashboard
    from tests.net_fixtures import Observer

    broker = Broker(folder / "broker")
    broker.start()
    pub = Observer(broker.port, [])
    try:
        for s in range(100):
            for n in range(5):
                base = f"museokit/site{s:03d}/node{n}"
                devices = {f"dev{d}": {"kind": "button", "role": "input"} for d in range(3)}
                pub.client.publish(f"{base}/meta", json.dumps({"devices": devices}), qos=0,
                                   retain=True)
                pub.client.publish(f"{base}/status", "online" if (s + n) % 17 else "offline",
                                   qos=0, retain=True)
        time.sleep(1.0)
        dash = Dashboard(folder / "fleet", DashboardConfig(port=free_port()))
        feed = MqttFeed(parse_broker_url(broker.url), dash.handoff)
        assert dash.start()
        feed.start()
        wait_for(lambda: sum(len(s.nodes) for s in dash.model.sites.values()) == 500, 30,
                 what="500 nodes in the model")
        password = dash.accounts.add("v", "viewer")
        page = browser.new_page()
        page.goto(dash.url + "/login")
        page.fill("input[name=user]", "v")
        page.fill("input[name=password]", password)
        page.click("form.login button")
        paints, html = [], ""
        for _ in range(5):
            page.goto(dash.url + "/fleet")
            paints.append(_first_paint(page))
            html = page.content()
        static = folder / "fleet.html"
        static.write_text(html)
        raw = []
        for _ in range(5):
            page.goto(static.as_uri())
            raw.append(_first_paint(page))
        page.close()
        feed.close()
        dash.stop()
    finally:
        pub.close()
        broker.stop()
    return sorted(paints)[2], sorted(raw)[2]


def _first_paint(page: Any) -> float:
    """The page's first-contentful-paint, in ms from navigation start."""
    fcp = "performance.getEntriesByName('first-contentful-paint')"
    wait_for(lambda: page.evaluate(f"{fcp}.length") > 0, what="the first paint")
    return float(page.evaluate(f"{fcp}[0].startTime"))


def run() -> list[Result]:
    if not Path(CHROMIUM).exists():
        progress("no /usr/bin/chromium: dashboard benchmarks skipped")
        return []
    results = []
    pw, browser = _browser()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            progress("event -> browser")
            ours = event_to_browser(browser, folder / "e")
            raw = raw_to_browser(browser)
            results.append(Result("dashboard: event -> shown in browser p99", percentile(ours, 99),
                                  percentile(raw, 99), "ms", 250,
                                  note=f"{len(ours)} changes; raw: bare Starlette SSE, same page "
                                       "work; p50 ours/raw "
                                       f"{percentile(ours, 50):.1f}/{percentile(raw, 50):.1f} ms"))
            progress("fleet first paint")
            paint, raw_paint = fleet_paint(browser, folder / "f")
            results.append(Result("dashboard: fleet page (100 sites x 5 nodes) first paint",
                                  paint / 1000, raw_paint / 1000, "s", 2.0,
                                  note="median of 5 loads; raw: the same HTML from a file"))
        finally:
            browser.close()
            pw.stop()
        progress("press -> handler with 5 dashboards")
        none = press_with_dashboards(folder / "p0", 0)
        five = press_with_dashboards(folder / "p5", 5)
        results.append(Result("dashboard: press -> handler p99, 5 dashboards open", five, none,
                              "µs", 1.2, target_is_ratio=True,
                              note="raw = the same installation with no dashboard"))
        progress("RSS")
        off = run_rss_mb(folder / "r0", False)
        on = run_rss_mb(folder / "r1", True)
        results.append(Result("dashboard: RSS of museokit run, dashboard on", on, off, "MB",
                              off + 40, note=f"+{on - off:.1f} MB (target: +40 MB)"))
    return results


if __name__ == "__main__":
    report("museokit dashboard benchmarks (ratio = museokit / raw)", run())
