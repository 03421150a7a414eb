"""The dashboard's security, against the real server (uvicorn on loopback) and a real runtime."""

from __future__ import annotations

import http.client
import logging
import socket
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from museokit.dashboard.auth import Accounts, LoginThrottle, check_password, hash_password
from museokit.dashboard.server import ACTIONS, DOWNLOADS
from tests.dash_fixtures import DashPiece
from tests.net_fixtures import wait_for

#: One concrete request per route of the app (a new route fails the coverage check below).
ROUTE_SAMPLES = {
    "/": "GET /", "/history": "GET /history", "/fleet": "GET /fleet", "/audit": "GET /audit",
    "/api/state": "GET /api/state", "/events": "GET /events",
    "/download/{name}": "GET /download/audit.csv", "/media/{path:path}": "GET /media/a.png",
    "/action/{name}": "POST /action/test", "/logout": "POST /logout",
    "/photo/{device}": "GET /photo/lamp",
}
PUBLIC = {"/login", "/static/{name}"}


def _listening(port: int) -> list[str]:
    """Local addresses listening on `port`, from the kernel's socket tables."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port and len(addr) == width:
                found.append(addr)
    return found


def test_every_route_refuses_without_a_session(piece: DashPiece) -> None:
    routes = {r.path for r in piece.dash.app.app.routes}
    assert routes - PUBLIC == set(ROUTE_SAMPLES), "add the new route to ROUTE_SAMPLES"
    anon = piece.client()
    for sample in ROUTE_SAMPLES.values():
        method, path = sample.split()
        status, headers, body = anon.request(method, path, "" if method == "POST" else None)
        assert status in (401, 303), f"{sample} answered {status} without a session"
        if status == 303:
            assert headers["location"] == "/login"
        assert "lamp" not in body
    for name in ACTIONS:
        assert anon.post_json(f"/action/{name}", {"device": "lamp"})[0] == 401
    for name in DOWNLOADS:
        assert anon.get(f"/download/{name}")[0] == 401
    assert anon.get("/login")[0] == 200
    assert anon.get("/static/app.js")[0] == 200


def test_a_viewer_can_never_trigger_an_output(piece: DashPiece) -> None:
    viewer = piece.logged_in("viewer")
    csrf = viewer.csrf()
    _, _, html = viewer.get("/")
    assert "/action/test" not in html and "/action/out-of-order" not in html
    for name in ACTIONS:
        status, _, body = viewer.post_json(f"/action/{name}", {"device": "lamp", "on": "1"}, csrf)
        assert status == 403, (name, body)
    for name in DOWNLOADS:
        assert viewer.get(f"/download/{name}")[0] == 403
    assert piece.runtime.devices["lamp"].state.get("label", "off") == "off"
    assert not piece.runtime.lockout.paused_by
    refused = [r for r in piece.dash.audit.recent() if r[1] == "viewer" and not r[6]]
    assert len(refused) >= len(ACTIONS)


def test_staff_mark_out_of_order_but_cannot_test(piece: DashPiece) -> None:
    staff = piece.logged_in("staff")
    csrf = staff.csrf()
    assert staff.post_json("/action/test", {"device": "lamp"}, csrf)[0] == 403
    assert staff.post_json("/action/out-of-order", {"on": "1"}, csrf)[0] == 200
    assert piece.runtime.lockout.paused_by == {"out of order"}
    piece.runtime.simulate("door", "press")
    time.sleep(0.3)
    assert piece.runtime.devices["lamp"].state.get("label", "off") == "off"  # rule paused
    assert staff.post_json("/action/out-of-order", {"on": "0"}, csrf)[0] == 200
    assert not piece.runtime.lockout.paused_by


def test_csrf_is_required_on_every_post(piece: DashPiece) -> None:
    tech = piece.logged_in("technician")
    csrf = tech.csrf()
    assert tech.post_json("/action/test", {"device": "lamp"})[0] == 403
    assert tech.post_json("/action/test", {"device": "lamp"}, "forged")[0] == 403
    assert tech.post_form("/action/test", {"device": "lamp", "csrf": "forged"})[0] == 403
    assert tech.post_json("/action/test", {"device": "lamp"}, csrf,
                          Origin="http://evil.example")[0] == 403
    assert tech.post_form("/logout", {})[0] == 403
    assert piece.runtime.devices["lamp"].state.get("label", "off") == "off"
    status, _, body = tech.post_json("/action/test", {"device": "lamp"}, csrf)
    assert status == 200, body
    assert "blink" in body
    wait_for(lambda: piece.runtime.devices["lamp"].state.get("label") == "blinking",
             what="the lamp to blink")
    # the login form has its own token (double submit): without it, no login at all
    other = piece.client()
    assert other.post_form("/login", {"user": "technician",
                                      "password": piece.passwords["technician"]})[0] == 403


def test_an_expired_session_is_refused(piece: DashPiece) -> None:
    tech = piece.logged_in("technician")
    csrf = tech.csrf()
    assert tech.get("/api/state")[0] == 200
    real = piece.dash.sessions.clock
    piece.dash.sessions.clock = lambda: real() + piece.dash.sessions.seconds + 1
    assert tech.get("/api/state")[0] == 401
    assert tech.get("/")[1]["location"] == "/login"
    assert tech.post_json("/action/test", {"device": "lamp"}, csrf)[0] == 401


def test_brute_force_is_slowed_not_locked_out(piece: DashPiece) -> None:
    attacker = piece.client()
    statuses = [attacker.login("technician", f"guess{i}") for i in range(5)]
    assert statuses[:4] == [401, 401, 401, 401]  # three free tries, then 1 s, 2 s, 4 s ...
    assert statuses[4] == 429
    # even the right password waits its turn ...
    status, headers, body = attacker.post_form("/login", {
        "csrf": attacker.cookies["mk_pre"], "user": "technician",
        "password": piece.passwords["technician"]})
    assert status == 429
    wait = int(headers["retry-after"])
    assert "wait" in body.lower() or "attendez" in body.lower()
    time.sleep(wait)
    # ... and then gets in: slowed, never locked out
    assert attacker.login("technician", piece.passwords["technician"]) == 303


def test_throttle_backs_off_doubling_and_forgets_on_success() -> None:
    now = [0.0]
    t = LoginThrottle(free=3, cap=60, clock=lambda: now[0])
    waits = []
    for _ in range(10):
        t.failed("ip:x")
        waits.append(t.wait("ip:x"))
    assert waits[:3] == [0, 0, 0]
    assert waits[3:8] == [1, 2, 4, 8, 16]
    assert max(waits) == 60
    t.succeeded("ip:x")
    assert t.wait("ip:x") <= 0


def test_passwords_are_scrypt_hashed_in_a_private_file(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "accounts.json")
    password = accounts.add("anna", "staff")
    text = (tmp_path / "accounts.json").read_text()
    assert password not in text and "scrypt$" in text
    assert stat.S_IMODE((tmp_path / "accounts.json").stat().st_mode) == 0o600
    assert accounts.verify("anna", password) == "staff"
    assert accounts.verify("anna", "nope") is None
    assert accounts.verify("nobody", password) is None
    assert check_password("x", hash_password("x")) and not check_password("y", hash_password("x"))


def test_it_listens_on_loopback_only_by_default(piece: DashPiece) -> None:
    addresses = _listening(piece.port)
    assert addresses == ["0100007F"], addresses  # 127.0.0.1, and nothing else


def test_a_port_in_use_is_one_line_and_the_installation_runs(make_piece, caplog,
                                                             tmp_path: Path) -> None:
    from museokit.core.config import load_installation
    from museokit.core.runtime import Runtime
    from museokit.dashboard.attach import serve
    from tests.dash_fixtures import PIECE

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        folder = tmp_path / "busy"
        folder.mkdir()
        (folder / "installation.toml").write_text(PIECE.replace("{port}", str(port)))
        runtime = Runtime(load_installation(folder))
        runtime.start()
        with caplog.at_level(logging.ERROR, logger="museokit.dashboard"):
            assert serve(runtime, folder / "state") is None
        lines = [r.getMessage() for r in caplog.records if r.name == "museokit.dashboard"]
        assert len(lines) == 1 and "already in use" in lines[0] and "runs without it" in lines[0]
        runtime.simulate("door", "press")
        runtime.run_for(0.1)
        assert runtime.devices["lamp"].state.get("label") == "on"
        runtime.close()


def test_bad_requests_are_refused_in_one_clear_answer(piece: DashPiece) -> None:
    tech = piece.logged_in("technician")
    csrf = tech.csrf()
    status, _, body = tech.request("POST", "/action/note", "x" * 200_000,
                                   {"Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert status == 413 and "too large" in body
    conn = http.client.HTTPConnection("127.0.0.1", piece.port, timeout=10)  # no Content-Length
    conn.request("POST", "/action/note", body=(b"x" * 2000 for _ in range(100)),
                 encode_chunked=True, headers={
                     "Content-Type": "application/json", "X-CSRF-Token": csrf,
                     "Cookie": "; ".join(f"{k}={v}" for k, v in tech.cookies.items())})
    answer = conn.getresponse()
    assert answer.status == 413 and b"too large" in answer.read()
    conn.close()
    status, _, body = tech.request("POST", "/action/note", "{not json",
                                   {"Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert status == 400 and "bad JSON" in body
    assert tech.post_json("/action/note", ["a list"], csrf)[0] == 400
    status, _, body = tech.request("POST", "/action/note", "[" * 60_000,
                                   {"Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert status == 400 and "bad JSON" in body
    status, _, body = tech.request("POST", "/action/note", b"device=\xff\xfe&csrf=" + csrf.encode(),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert status in (303, 400)
    assert tech.post_json("/action/test", {"device": "door"}, csrf)[0] == 400  # an input
    assert tech.post_json("/action/test", {"device": "lamp", "media": "../../etc/passwd"},
                          csrf)[0] == 400
    assert tech.post_json("/action/nope", {}, csrf)[0] == 404
    (piece.folder / "intro.png").write_bytes(b"\x89PNG fake")
    assert tech.get("/media/intro.png")[0] == 200
    for path in ("/media/../installation.toml", "/media/..%2finstallation.toml",
                 "/media/%2e%2e/%2e%2e/etc/passwd", "/media/installation.toml",
                 "/media/state/dashboard-accounts.json", "/download/..%2f..%2fetc%2fpasswd",
                 "/download/../audit.sqlite", "/static/..%2fserver.py", "/static/server.py"):
        status, _, body = tech.get(path)
        assert status == 404, (path, status)
        assert "scrypt" not in body and "[installation]" not in body


def test_html_in_names_and_notes_is_escaped(piece: DashPiece) -> None:
    staff = piece.logged_in("staff")
    csrf = staff.csrf()
    evil = "<script>alert('note')</script><img src=x onerror=alert(1)>"
    assert staff.post_json("/action/note", {"device": "lamp", "text": evil, "working": "0",
                                            "on_floor": "1"}, csrf)[0] == 200
    _, _, html = staff.get("/")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;note&#x27;)" in html
    assert "Piece &lt;script&gt;" in html  # the installation's name, in the title
    # a device name that came over MQTT (the fleet view) is escaped too
    piece.dash.handoff.put(("dev", "site", "node", "<b>bold</b>", {"kind": "<i>k</i>"}))
    wait_for(lambda: "&lt;b&gt;bold&lt;/b&gt;" in staff.get("/")[2], what="the escaped name")
    assert "<b>bold</b>" not in staff.get("/")[2]


@pytest.mark.subprocess
def test_the_audit_log_says_who_did_what(piece: DashPiece) -> None:
    tech = piece.logged_in("technician")
    csrf = tech.csrf()
    tech.post_json("/action/test", {"device": "lamp"}, csrf)
    tech.post_json("/action/reboot", {}, csrf)
    status, headers, text = tech.get("/download/audit.csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    lines = text.splitlines()
    assert lines[0].startswith("time_utc,user,role,client,action")
    assert any(",technician,technician,127.0.0.1,test,device=lamp" in line for line in lines)
    assert any(",reboot," in line and line.endswith(",1") for line in lines)
    assert any(",login," in line for line in lines)


def test_every_interface_only_when_configured(make_piece: Any) -> None:
    p = make_piece(bind="0.0.0.0")
    assert _listening(p.port) == ["00000000"]


def test_a_technician_restarts_the_installation(piece: DashPiece) -> None:
    tech = piece.logged_in("technician")
    status, _, body = tech.post_json("/action/restart", {}, tech.csrf())
    assert status == 200 and "restarting" in body
    assert piece.runtime.join(10)  # the loop ended: under systemd, Restart=always starts it again


def _multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = "museokitboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
                 f'filename="p.png"\r\nContent-Type: image/png\r\n\r\n'.encode() + photo + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_staff_add_a_photo_to_a_note_and_only_an_image_is_kept(piece: DashPiece) -> None:
    staff = piece.logged_in("staff")
    csrf = staff.csrf()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000
    body, kind = _multipart({"csrf": csrf, "device": "lamp"}, png)
    assert staff.request("POST", "/action/photo", body, {"Content-Type": kind})[0] == 303
    status, headers, _ = staff.get("/photo/lamp")
    assert status == 200 and headers["content-type"] == "image/png"
    assert '<img class="photo" src="/photo/lamp"' in staff.get("/")[2]
    for device, content in (("lamp", b"<script>not an image</script>"), ("../etc", png),
                            ("nobody", png)):
        body, kind = _multipart({"csrf": csrf, "device": device}, content)
        assert staff.request("POST", "/action/photo", body, {"Content-Type": kind})[0] == 303
    assert [r[6] for r in piece.dash.audit.recent() if r[4] == "photo"] == [0, 0, 0, 1]
    body, kind = _multipart({"csrf": csrf, "device": "lamp"}, png + b"\0" * 4_000_000)
    assert staff.request("POST", "/action/photo", body, {"Content-Type": kind})[0] == 413
    body, kind = _multipart({"csrf": "forged", "device": "lamp"}, png)
    assert staff.request("POST", "/action/photo", body, {"Content-Type": kind})[0] == 403
    assert staff.get("/photo/..%2f..%2fdashboard-accounts")[0] == 404
    assert piece.logged_in("viewer").get("/photo/lamp")[0] == 200  # a viewer may look


def test_opening_hours_and_the_next_change_are_shown(make_piece: Any) -> None:
    import re

    from tests.dash_fixtures import PIECE

    p = make_piece(PIECE.replace("[dashboard]", '[schedule]\nhours = "00:00-12:00"\n\n[dashboard]'))
    html = p.logged_in("viewer").get("/")[2]
    assert re.search(r"(open / ouvert|closed / fermé) → \w{3} (00|12):00", html), html[:2000]
