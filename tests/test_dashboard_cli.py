"""The newcomer's path: one line in installation.toml, a printed password, `museokit run`
serves the dashboard; accounts and a self-signed certificate from the command line."""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from museokit.cli import main
from museokit.core.config import load_installation
from museokit.dashboard.auth import Accounts
from museokit.dashboard.command import first_account
from tests.conftest import write_installation
from tests.dash_fixtures import PIECE, Client, DashPiece
from tests.net_fixtures import free_port, wait_for

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))



class Run:
    """`museokit run PATH` as a process, its output collected line by line."""

    def __init__(self, folder: Path, state: Path, *args: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [MUSEOKIT, "run", str(folder), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env={**os.environ, "MUSEOKIT_STATE_DIR": str(state), "PYTHONUNBUFFERED": "1"})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(20)


@pytest.mark.subprocess
def test_one_line_a_printed_password_and_museokit_run_serves_it(tmp_path: Path,
                                                                capsys: Any) -> None:
    port = free_port()
    folder = write_installation(tmp_path / "piece", PIECE.format(port=port))
    state = tmp_path / "state"
    os.environ["MUSEOKIT_STATE_DIR"] = str(state)
    try:
        assert main(["dashboard", "user", "add", "anna", str(folder), "--role", "staff"]) == 0
    finally:
        del os.environ["MUSEOKIT_STATE_DIR"]
    password = re.search(r"password: (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    run = Run(folder, state)
    try:
        wait_for(lambda: any(" ready — " in line for line in run.lines), what=lambda: "\n".join(run.lines))
        assert f"museokit: dashboard on http://127.0.0.1:{port}" in run.lines
        client = Client(port)
        assert client.login("anna", password) == 303
        status, _, html = client.get("/")
        assert status == 200 and 'data-dev="piece/main/lamp"' in html
    finally:
        assert run.stop() == 0


@pytest.mark.subprocess
def test_a_taken_port_is_one_line_and_the_piece_runs(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        folder = write_installation(tmp_path / "piece", PIECE.format(port=port))
        run = Run(folder, tmp_path / "state")
        try:
            wait_for(lambda: any(" ready — " in line for line in run.lines),
                     what=lambda: "\n".join(run.lines))
            said = [line for line in run.lines if "dashboard" in line]
            assert len(said) == 1 and "already in use" in said[0], said
            assert run.proc.poll() is None
        finally:
            assert run.stop() == 0


def test_service_install_makes_the_first_account_once(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSEOKIT_STATE_DIR", str(tmp_path / "state"))
    inst = load_installation(write_installation(tmp_path / "piece", PIECE.format(port=8080)))
    line = first_account(inst, None)
    assert line is not None and "technician" in line
    password = re.search(r"password (\S+)", line).group(1)  # type: ignore[union-attr]
    accounts = Accounts(tmp_path / "state" / "piece" / "main" / "dashboard-accounts.json")
    assert accounts.verify("technician", password) == "technician"
    assert first_account(inst, None) is None  # never a second, never a default


def test_user_commands_name_their_mistakes(tmp_path: Path, capsys: Any) -> None:
    state = str(tmp_path / "state")
    assert main(["dashboard", "user", "add", "Bad Name", "--state-dir", state]) == 1
    assert "account name 'Bad Name'" in capsys.readouterr().err
    assert main(["dashboard", "user", "add", "bob", "--role", "admin", "--state-dir", state]) == 1
    assert "choose one of viewer, staff, technician" in capsys.readouterr().err
    assert main(["dashboard", "user", "remove", "bob", "--state-dir", state]) == 1
    assert main(["dashboard", "user", "add", "bob", "--state-dir", state]) == 0
    assert main(["dashboard", "user", "remove", "bob", "--state-dir", state]) == 0
    assert main(["dashboard", "frobnicate", "x"]) == 1


@pytest.mark.subprocess
def test_cert_makes_a_pair_the_dashboard_serves_https_with(tmp_path: Path, make_piece: Any,
                                                           capsys: Any) -> None:
    folder = tmp_path / "certs"
    folder.mkdir()
    assert main(["dashboard", "cert", str(folder), "--host", "expo.local"]) == 0
    assert 'tls_cert = "dashboard.crt"' in capsys.readouterr().out
    crt, key = folder / "dashboard.crt", folder / "dashboard.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    piece: DashPiece = make_piece(tls_cert=str(crt), tls_key=str(key))
    assert piece.dash.url.startswith("https://")
    context = ssl.create_default_context(cafile=str(crt))
    with socket.create_connection(("127.0.0.1", piece.port)) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head = answer.decode("utf-8", "replace")
    assert head.startswith("HTTP/1.1 200")
    assert re.search(r"set-cookie: mk_pre=[^\r\n]*; Secure", head, re.IGNORECASE)


def test_bad_tls_files_are_one_line_and_no_dashboard(tmp_path: Path, caplog: Any) -> None:
    from dataclasses import replace

    from museokit.core.runtime import Runtime
    from museokit.dashboard.attach import serve
    (tmp_path / "bad.crt").write_text("not a certificate")
    (tmp_path / "bad.key").write_text("not a key")
    inst = load_installation(write_installation(tmp_path / "p", PIECE.format(port=free_port())))
    inst = replace(inst, staff=replace(inst.staff, dashboard=replace(
        inst.staff.dashboard, tls_cert=str(tmp_path / "bad.crt"), tls_key=str(tmp_path / "bad.key"))))
    runtime = Runtime(inst)
    runtime.start()
    try:
        assert serve(runtime, tmp_path / "state") is None
        lines = [r.getMessage() for r in caplog.records if r.name == "museokit.dashboard"]
        assert len(lines) == 1 and "cannot be loaded" in lines[0] and "dashboard cert" in lines[0]
    finally:
        runtime.close()


def test_health_from_every_node_and_the_dashboard_on_the_lead_only(
        tmp_path: Path, own_broker: Any) -> None:
    import json
    import shutil

    from tests.conftest import REPO
    from tests.net_fixtures import Observer

    broker = own_broker()
    folder = tmp_path / "two-rooms"
    shutil.copytree(REPO / "installations" / "two-rooms", folder)
    port = free_port()
    toml = folder / "installation.toml"
    toml.write_text(toml.read_text() + f"\n[dashboard]\nenabled = true\nport = {port}\n"
                    "\n[alerts]\noffline_minutes = 0.1\n")
    password = Accounts(tmp_path / "s2" / "two_rooms" / "gallery" /
                        "dashboard-accounts.json").add("tech", "technician")
    watch = Observer(broker.port, ["museokit/two_rooms/+/health", "museokit/two_rooms/+/alert/+"])
    entrance = Run(folder, tmp_path / "s1", "--backend", "sim", "--broker", broker.url,
                   "--node", "entrance")
    lead = Run(folder, tmp_path / "s2", "--backend", "sim", "--broker", broker.url)
    try:
        for run in (entrance, lead):
            wait_for(lambda run=run: any(" ready — " in line for line in run.lines),
                     what=lambda run=run: "\n".join(run.lines))
        for node in ("entrance", "gallery"):
            wait_for(lambda node=node: watch.last(f"museokit/two_rooms/{node}/health"),
                     what=f"{node}'s health")
            health = json.loads(watch.last(f"museokit/two_rooms/{node}/health") or b"")
            assert {"uptime", "disk_percent", "temperature", "handler_errors"} <= set(health)
        assert f"museokit: dashboard on http://127.0.0.1:{port}" in lead.lines
        assert not any("dashboard" in line for line in entrance.lines)
        # the entrance stops: 6 s later the lead raises the alert, on MQTT and the dashboard
        assert entrance.stop() == 0
        topic = "museokit/two_rooms/gallery/alert/offline_start"
        wait_for(lambda: watch.last(topic), timeout=30,
                 what=lambda: "the offline alert on MQTT; the lead said:\n" + "\n".join(lead.lines))
        alert = json.loads(watch.last(topic) or b"")
        assert alert["text"].startswith("button start offline for 0.1 min") and alert["fix"]
        client = Client(port)
        assert client.login("tech", password) == 303
        state = json.loads(client.get("/api/state")[2])
        assert "gallery/offline_start" in state["sites"]["two_rooms"]["alerts"]
    finally:
        assert entrance.stop() == 0
        assert lead.stop() == 0
        watch.close()


def test_the_dashboard_alone_reads_a_broker(tmp_path: Path, own_broker: Any) -> None:
    from tests.net_fixtures import Observer

    broker = own_broker()
    pub = Observer(broker.port, [])
    pub.client.publish("museokit/far_museum/hall/status", "online", qos=1, retain=True).wait_for_publish(5)
    pub.client.publish("museokit/far_museum/hall/meta", '{"devices": {"door": {"kind": "button"}}}',
                       qos=1, retain=True).wait_for_publish(5)
    state = tmp_path / "fleet"
    assert main(["dashboard", "user", "add", "lea", "--state-dir", str(state)]) == 0
    password = Accounts(state / "dashboard-accounts.json").add("lea", "viewer")
    port = free_port()
    proc = subprocess.Popen([MUSEOKIT, "dashboard", "--broker", broker.url, "--state-dir",
                             str(state), "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"dashboard on http://127.0.0.1:{port} (every site from mqtt://127.0.0.1" in first
        client = Client(port)
        assert client.login("lea", password) == 303
        wait_for(lambda: 'data-node="far_museum/hall"' in client.get("/fleet")[2],
                 what="the site from the broker")
        assert client.post_json("/action/test", {"device": "door"}, client.csrf())[0] == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        pub.close()
