"""A running installation with its dashboard on a free loopback port, and an HTTP client
that keeps cookies: for the dashboard's security, bad-input and browser tests."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

from museokit.core.config import load_installation
from museokit.core.runtime import Runtime
from museokit.dashboard.attach import Served, serve
from tests.external import needs, starting
from tests.net_fixtures import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

PIECE = """
[installation]
name = "Piece <script>alert('name')</script>"
backend = "sim"

[dashboard]
port = {port}

[[devices]]
id = "door"
kind = "button"
pin = 17

[[devices]]
id = "lamp"
kind = "led"
pin = 18

[[states]]
name = "attract"

[[rules]]
when = "door.pressed"
do = "lamp.on"
"""


class Client:
    """http.client with a cookie jar; `login()` does what a browser's form does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for value in resp.headers.get_all("set-cookie") or []:
            cookie: SimpleCookie = SimpleCookie(value)
            for key, morsel in cookie.items():
                if morsel["max-age"] == "0" or 'expires=Thu, 01 Jan 1970' in value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str], **headers: str) -> tuple[int, dict[str, str], str]:
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode(fields),
                            {"Content-Type": "application/x-www-form-urlencoded", **headers})

    def post_json(self, path: str, data: Any, csrf: str | None = None,
                  **headers: str) -> tuple[int, dict[str, str], str]:
        h = {"Content-Type": "application/json", **headers}
        if csrf:
            h["X-CSRF-Token"] = csrf
        return self.request("POST", path, json.dumps(data), h)

    def login(self, user: str, password: str) -> int:
        self.get("/login")
        status, _, _ = self.post_form("/login", {"csrf": self.cookies.get("mk_pre", ""),
                                                  "user": user, "password": password})
        return status

    def csrf(self) -> str:
        _, _, html = self.get("/")
        found = re.search(r'data-csrf="([^"]+)"', html)
        assert found, html[:500]
        return found.group(1)


@dataclass
class DashPiece:
    runtime: Runtime
    served: Served
    folder: Path
    passwords: dict[str, str]

    @property
    def dash(self) -> Any:
        return self.served.dashboard

    @property
    def port(self) -> int:
        return int(self.dash.address.rsplit(":", 1)[1])

    def client(self) -> Client:
        return Client(self.port)

    def logged_in(self, role: str) -> Client:
        c = self.client()
        assert c.login(role, self.passwords[role]) == 303
        return c


def start_piece(folder: Path, text: str = PIECE, **overrides: Any) -> DashPiece:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "installation.toml").write_text(text.format(port=free_port()), encoding="utf-8")
    inst = load_installation(folder)
    if overrides:
        staff = replace(inst.staff, dashboard=replace(inst.staff.dashboard, **overrides))
        inst = replace(inst, staff=staff)
    runtime = Runtime(inst)
    runtime.start()
    state = folder / "state"
    served = serve(runtime, state, power={"reboot": ["true"], "shutdown": ["true"]})
    assert served is not None
    passwords = {role: served.dashboard.accounts.add(role, role)
                 for role in ("viewer", "staff", "technician")}
    runtime.start_in_thread()
    return DashPiece(runtime, served, folder, passwords)


def stop_piece(piece: DashPiece) -> None:
    piece.served.close()
    if piece.runtime.running:
        piece.runtime.stop()
        piece.runtime.join(10)
    piece.runtime.close()


@pytest.fixture
def piece(tmp_path: Path) -> Iterator[DashPiece]:
    p = start_piece(tmp_path / "piece")
    yield p
    stop_piece(p)


@pytest.fixture
def make_piece(tmp_path: Path) -> Iterator[Callable[..., DashPiece]]:
    made: list[DashPiece] = []

    def make(text: str = PIECE, **overrides: Any) -> DashPiece:
        p = start_piece(tmp_path / f"piece{len(made)}", text, **overrides)
        made.append(p)
        return p

    yield make
    for p in made:
        stop_piece(p)


@pytest.fixture
@needs("chromium")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (which cannot download its own)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium (./dev.sh test installs it)")
    starting("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
