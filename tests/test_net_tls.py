"""TLS for real: a Mosquitto with a TLS listener and certificates made here (openssl CLI), a
node joining with mqtts://, and a node holding the wrong CA refused with one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from museokit.net.broker import Tls, mosquitto_command, write_config
from tests.conftest import REPO
from tests.net_fixtures import MUSEOKIT, WAIT, free_port, wait_for

TWO_ROOMS = REPO / "installations/two-rooms"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


def _ca(folder: Path, name: str) -> tuple[Path, Path]:
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN=museokit test {name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _server_cert(folder: Path, ca: tuple[Path, Path]) -> tuple[Path, Path]:
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    ext = folder / "san.ext"
    ext.write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(csr)], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey",
                    str(ca[1]), "-CAcreateserial", "-days", "2", "-extfile", str(ext),
                    "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_broker(tmp_path: Path):
    certs = tmp_path / "certs"
    certs.mkdir()
    ca = _ca(certs, "ca")
    wrong = _ca(certs, "wrong")
    cert, key = _server_cert(certs, ca)
    port = free_port()
    files = write_config(tmp_path / "broker", port=free_port(), bind="127.0.0.1", auth=False,
                         tls=Tls(str(cert), str(key), None, port))
    log = (tmp_path / "broker" / "mosquitto.log").open("ab")
    proc = subprocess.Popen(mosquitto_command(files.conf), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _accepting(port), what="mosquitto's TLS listener")
        yield f"mqtts://127.0.0.1:{port}", ca[0], wrong[0]
    finally:
        proc.terminate()
        proc.wait(WAIT)
        log.close()


def _accepting(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Sim:
    """`museokit sim` joined to the broker, its output collected."""

    def __init__(self, url: str, ca: Path, tmp: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [MUSEOKIT, "sim", str(TWO_ROOMS), "--broker", url, "--tls-ca", str(ca), "--node",
             "entrance", "--state-dir", str(tmp), "--headless"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def find(self, words: str) -> list[str]:
        return [line for line in list(self.lines) if words in line]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(WAIT)


def test_a_node_joins_with_mqtts(tls_broker, tmp_path: Path, observer) -> None:
    url, ca, _ = tls_broker
    node = Sim(url, ca, tmp_path / "state")
    try:
        wait_for(lambda: node.find("connected to mqtts://"), what=lambda: "\n".join(node.lines))
        assert node.stop() == 0
    finally:
        node.stop()
    assert not node.find("Traceback")


@pytest.mark.subprocess
def test_a_node_with_the_wrong_ca_is_refused_in_one_line(tls_broker, tmp_path: Path) -> None:
    url, _, wrong = tls_broker
    node = Sim(url, wrong, tmp_path / "state")
    try:
        wait_for(lambda: node.find("certificate"), what=lambda: "\n".join(node.lines))
        time.sleep(3)  # paho retries meanwhile: the refusal must not repeat every retry
        code = node.stop()
    finally:
        node.stop()
    text = "\n".join(node.lines)
    assert code == 0 and "Traceback" not in text, text
    refusals = node.find("certificate")
    assert len(refusals) == 1, text
    assert "tls_ca" in refusals[0] or "--tls-ca" in refusals[0], refusals[0]
