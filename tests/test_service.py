"""The gallery service: the systemd unit museokit writes, how it is installed, and the
watchdog pings that stop when the loop is stuck."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from museokit.core.bus import Bus
from museokit.core.clock import RealClock
from museokit.core.config import load_installation
from museokit.core.loop import Loop
from museokit.ops.sdnotify import SystemdNotifier, watchdog_interval
from museokit.ops.service import REALTIME_PRIORITY, ServiceError, Systemd, render_unit, unit_name
from tests.conftest import ONE_BUTTON, REPO, write_installation
from tests.test_cli import MUSEOKIT, museokit

HELLO = REPO / "installations/hello-button"


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.subprocess
def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    inst = load_installation(HELLO)
    unit = tmp_path / unit_name(inst)
    text = render_unit(inst, "root")
    unit.write_text(text)
    result = verify(unit)
    assert result.returncode == 0, result.stderr
    assert unit.name not in result.stderr  # no warning about our unit
    for line in ("Type=notify", "Restart=always", "After=sound.target network-online.target",
                 "WatchdogSec=30", f"ExecStart={sys.executable} -m museokit.cli run {HELLO}"):
        assert line in text.splitlines()
    assert unit.name == "museokit-demo.service"


@pytest.mark.subprocess
def test_the_realtime_unit_asks_for_fifo_and_passes_verify(tmp_path):
    inst = load_installation(HELLO)
    unit = tmp_path / unit_name(inst)
    unit.write_text(render_unit(inst, "root", realtime=True))
    result = verify(unit)
    assert result.returncode == 0, result.stderr
    assert unit.name not in result.stderr
    lines = unit.read_text().splitlines()
    assert "CPUSchedulingPolicy=fifo" in lines
    assert f"CPUSchedulingPriority={REALTIME_PRIORITY}" in lines
    assert "CPUSchedulingPolicy=fifo" not in render_unit(inst, "root")  # opt-in only


@pytest.mark.subprocess
def test_verify_would_catch_a_missing_program(tmp_path):
    inst = load_installation(HELLO)
    unit = tmp_path / unit_name(inst)
    unit.write_text(render_unit(inst, "root", python="/nowhere/python3"))
    result = verify(unit)
    assert result.returncode != 0
    assert "/nowhere/python3" in result.stderr


@pytest.mark.subprocess
def test_paths_with_spaces_are_quoted_for_systemd(tmp_path):
    inst = load_installation(write_installation(tmp_path / "my piece", ONE_BUTTON))
    unit = tmp_path / unit_name(inst)
    unit.write_text(render_unit(inst, "root"))
    assert f'run "{tmp_path}/my piece"' in unit.read_text()
    assert verify(unit).returncode == 0
    assert unit.name == "museokit-my-piece.service"


@pytest.mark.skipif(Path("/run/systemd/system").is_dir(), reason="this machine runs systemd")
@pytest.mark.subprocess
def test_install_without_systemd_says_so_in_one_line():
    result = museokit("service", "install", str(HELLO))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "this machine does not run systemd" in line
    assert "museokit run PATH" in line


@pytest.fixture
def systemd(tmp_path) -> Systemd:
    """systemd's pieces in a temp folder: a unit dir, the 'booted' marker, and a systemctl
    and journalctl that log their arguments (exit 1 when the file `fail` exists)."""
    (tmp_path / "units").mkdir()
    (tmp_path / "booted").mkdir()
    for tool in ("systemctl", "journalctl"):
        script = tmp_path / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {tmp_path}/calls\n'
                          f'[ ! -e {tmp_path}/fail ]\n')
        script.chmod(0o755)
    return Systemd(unit_dir=tmp_path / "units", systemctl=[str(tmp_path / "systemctl")],
                   journalctl=[str(tmp_path / "journalctl")], booted_marker=tmp_path / "booted")


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls").read_text().splitlines()


@pytest.mark.subprocess
def test_install_writes_enables_and_starts_then_uninstall_removes(systemd, tmp_path):
    inst = load_installation(HELLO)
    path = systemd.install(inst, "gallery")
    assert path == tmp_path / "units/museokit-demo.service"
    assert "User=gallery" in path.read_text()
    assert "CPUSchedulingPolicy" not in path.read_text()
    assert calls(tmp_path) == ["systemctl daemon-reload", "systemctl enable museokit-demo.service",
                               "systemctl restart museokit-demo.service"]
    assert systemd.status(inst) == 0
    assert systemd.logs(inst, lines=20, follow=True) == 0
    systemd.uninstall(inst)
    assert not path.exists()
    assert calls(tmp_path)[3:] == [
        "systemctl status --no-pager museokit-demo.service",
        "journalctl --no-pager -u museokit-demo.service -n 20 -f",
        "systemctl disable --now museokit-demo.service", "systemctl daemon-reload"]


@pytest.mark.subprocess
def test_a_failing_systemctl_is_reported(systemd, tmp_path):
    (tmp_path / "fail").touch()
    with pytest.raises(ServiceError, match=r"`systemctl daemon-reload` failed \(exit 1\)"):
        systemd.install(load_installation(HELLO), "gallery")


def fifo_allowed() -> bool:
    return subprocess.run(["chrt", "-f", "10", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not fifo_allowed(), reason="this machine refuses SCHED_FIFO (not root?)")
@pytest.mark.subprocess
def test_realtime_install_writes_fifo_where_the_kernel_allows_it(systemd):
    path = systemd.install(load_installation(HELLO), "gallery", realtime=True)
    assert "CPUSchedulingPolicy=fifo" in path.read_text().splitlines()


@pytest.mark.subprocess
def test_realtime_is_refused_where_the_kernel_refuses_fifo(systemd, tmp_path):
    """The probe runs as nobody: the kernel's own EPERM, as a kernel with RT group scheduling
    gives a service. Nothing is written or started."""
    systemd.realtime_probe = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              *systemd.realtime_probe)
    with pytest.raises(ServiceError, match=r"--realtime is not possible here: this machine "
                                           r"refused SCHED_FIFO \(.*not permitted\); run it as root"):
        systemd.install(load_installation(HELLO), "gallery", realtime=True)
    assert not (tmp_path / "units/museokit-demo.service").exists()
    assert not (tmp_path / "calls").exists()


def test_uninstall_of_what_was_never_installed(systemd):
    with pytest.raises(ServiceError, match=r"no service for .*does not exist"):
        systemd.uninstall(load_installation(HELLO))


# -- the watchdog --------------------------------------------------------------------------

@pytest.fixture
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    yield str(path), sock
    sock.close()


def received(sock: socket.socket, seconds: float) -> list[str]:
    """Every datagram that arrives in the next `seconds`."""
    got: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            got.append(sock.recv(256).decode())
        except TimeoutError:
            break
    return got


def test_watchdog_pings_flow_and_stop_while_a_handler_blocks_the_loop(notify_socket):
    path, sock = notify_socket
    loop = Loop(RealClock(), Bus())
    notifier = SystemdNotifier(loop, {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "100000"})
    assert notifier.interval == 0.05
    loop.call_soon_threadsafe(notifier.start)
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        flowing = received(sock, 0.4)
        assert flowing[0] == "READY=1"
        assert flowing[1:].count("WATCHDOG=1") >= 3
        release, stuck = threading.Event(), threading.Event()

        def hangs() -> None:
            stuck.set()
            release.wait(10)

        loop.call_soon_threadsafe(hangs)
        assert stuck.wait(5)
        received(sock, 0.06)  # a ping already on its way
        assert received(sock, 0.4) == []  # stuck: systemd would restart us after WatchdogSec
        release.set()
        assert "WATCHDOG=1" in received(sock, 0.4)  # and they come back
    finally:
        release.set()
        loop.call_soon_threadsafe(notifier.stop)
        loop.stop()
        thread.join(5)
    assert received(sock, 0.2)[-1:] == ["STOPPING=1"]


def test_abstract_notify_socket(tmp_path):
    name = f"museokit-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        notifier = SystemdNotifier(Loop(RealClock(), Bus()), {"NOTIFY_SOCKET": "@" + name})
        notifier.start()
        assert received(sock, 0.5) == ["READY=1"]


def test_no_systemd_no_pings():
    loop = Loop(RealClock(), Bus())
    notifier = SystemdNotifier(loop, {})
    notifier.start()
    assert notifier.address is None and loop.next_timer_at() is None
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None  # not ours
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15


def test_a_gone_socket_is_logged_once_and_the_loop_goes_on(tmp_path, caplog):
    notifier = SystemdNotifier(Loop(RealClock(), Bus()),
                               {"NOTIFY_SOCKET": str(tmp_path / "gone"), "WATCHDOG_USEC": "1000"})
    notifier.start()
    notifier.ping()
    notifier.ping()
    assert notifier.pings == 0
    assert [r.getMessage() for r in caplog.records].count(
        f"cannot notify systemd at {tmp_path / 'gone'}: [Errno 2] No such file or directory") == 1


@pytest.mark.subprocess
def test_museokit_run_tells_systemd_it_is_ready_and_pings(notify_socket, tmp_path):
    path, sock = notify_socket
    folder = write_installation(tmp_path / "piece", ONE_BUTTON)
    env = os.environ | {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}
    proc = subprocess.Popen([MUSEOKIT, "run", str(folder), "--backend", "sim"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sock.settimeout(30)  # however slow the start, READY=1 comes first, then pings
        assert [sock.recv(64).decode() for _ in range(2)] == ["READY=1", "WATCHDOG=1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert received(sock, 0.5)[-1:] == ["STOPPING=1"]
