"""Chaos soak (not in CI): two-rooms over a real Mosquitto, object-plinth on a simulated
Uno, the cabinet of curiosities watching a video file; visitors, and faults injected.

    python bench/soak.py --minutes 60

What runs: Mosquitto (config from museokit.net.broker, persistence on, autosave every
AUTOSAVE s) and the two-rooms nodes as separate `museokit run` processes, each with its
own state folder; the lead (gallery) keeps its interaction log, which holds every node's
events. A virtual visitor presses and releases the entrance's `start` at gallery rates
through the `…/entrance/start/sim/press` topic.

Beside them, two pieces without a broker, each a `museokit run` of a copy in the soak's
folder with its own interaction log:
- object-plinth on its Uno: the real firmware built and run in simavr as the tests build
  and run it (tests/simboard.py), its pty reached through a symlink in the soak's folder
  (`[serial] ports` names it, as /dev/serial/by-id names a real board). A visitor puts the
  object on the plinth and lifts it at gallery rates: the soak drives the simulated D2.
- the cabinet of curiosities with its camera reading `visit.avi`, the generated visit of
  its own scenarios (scenarios/make_video.py, written by OpenCV into the copy): an 18 s
  loop in which the owl (at 2 s) and the compass (at 10 s) are put on the shelf. The
  camera starts before the file is in place, so each of its watching spells begins with
  a logged `cam.online`, the first one too.

Counting: a press is *made* when the entrance logs `start.pressed` in its own interaction
log (a press published while the broker is away never reaches the button, so it is not a
visitor event); it is *delivered* when the same (node, seq, ts) is in the lead's log.
Duplicates: one (node, seq, ts) more than once in the lead's log. A press made within
AUTOSAVE + 1 s before a broker kill -9 and missing at the lead is counted apart (the
broker acked it, then died before saving it: the documented window in net/broker.py).
The plinth and the cabinet have no lead: their events end in their own node's log, so
that is where they are delivered, and what is made is what the visitor did. For the
plinth, every object put down on D2 (a press); one done between an Uno fault and the
next `plinth.online` in the node's log is counted apart when missing (a rebooting or
unplugged board cannot see it; a real one could not either). For the cabinet, every
placing the video shows while the camera watches: from each `cam.online` in its log,
one at each marker's second of every loop, until the next `cam.offline`. An action and
an event are the same when their times are within MATCH s, one to one; an event that no
action explains is *extra*.

Faults, cycled every --every seconds: the Uno reset (its reset button), broker restart
(SIGTERM, start), the video file removed for 30 s then put back, entrance kill -9, the
Uno unplugged (simavr kill -9, which closes its pty; 3 s later a new simavr on a new pty,
the symlink moved to it: the tests' replug), a handler on the lead raising on every press
for 20 s (a behaviour.py added to a temporary copy of two-rooms), broker kill -9, gallery
(lead) kill -9, the entrance's state disk (a small tmpfs) filled then freed. A killed
node is started again by the supervisor. Recovery time: from the fault's cause taken
away until an action made after it is seen where it is delivered (the lead for the
entrance, the node's log for the plinth and the camera). The camera notices a removed
file only when its loop wraps (it reads on from the open file until then), and retries
a missing one every 5 s (the camera's `retry`): both are in its figures.

Each minute one line (per source made/delivered/lost/duplicates, RSS and fds of every
process, simavr included); at the end a report.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from _common import rss_mb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from museokit.net.broker import mosquitto_command, write_config  # noqa: E402
from tests.net_fixtures import free_port  # noqa: E402
from tests.simboard import SimAvrBoard  # noqa: E402

TWO_ROOMS = REPO / "installations" / "two-rooms"
PLINTH = REPO / "installations" / "object-plinth"
CABINET = REPO / "installations" / "cabinet-of-curiosities"
#: Added to a copy of two-rooms: the lead's handler raises while the soak's flag file exists.
BEHAVIOUR = """\
from pathlib import Path

from museokit import on

FLAG = Path({flag!r})


@on("start.pressed")
def chaos(event):
    if FLAG.exists():
        raise RuntimeError("soak: the handler raises on purpose")
"""
MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
PREFIX = "museokit/two_rooms"
AUTOSAVE = 5
DISK_MB = 8
LOG = "interactions.sqlite"
BOARD = "3FA29C01"  # the Uno's id in object-plinth's installation.toml
#: The cabinet's visit (scenarios/make_video.py): its loop, and the seconds in it at which
#: an object is put on the shelf (the owl, then the compass).
VISIT_SECONDS = 18
VISIT_PLACED = (2.0, 10.0)
MATCH = 1.5  # seconds: at most this far apart, an action and its event are the same

Stamp = tuple[str, int | None, float]  # (node, seq, ts) of a logged event


# -- processes -------------------------------------------------------------------------
@dataclass
class Proc:
    role: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    started: float = 0.0

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.starts += 1
        self.started = time.time()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    def signal(self, sig: int) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Uno:
    """object-plinth's Uno in simavr behind a stable link path; one command at a time
    (the visitor's thread and the faults share the simulator's stdin)."""

    role = "simavr"

    def __init__(self, link: Path) -> None:
        self.link = link
        self.board: SimAvrBoard | None = None
        self.lock = threading.Lock()
        self.started = 0.0
        self.placed: list[float] = []  # when the visitor put the object down (D2 low)

    def plug(self) -> None:
        with self.lock:
            board = SimAvrBoard(board_id=BOARD)
            self.link.unlink(missing_ok=True)
            self.link.symlink_to(board.port)
            board.start()
            self.board, self.started = board, time.time()

    def unplug(self) -> None:
        """kill -9 the simulator: its pty closes under the host, as a pulled cable."""
        with self.lock:
            if self.board is not None:
                self.board._proc.kill()  # a hard kill, not the board's `quit`
                self.board.close()
                self.board = None
            self.link.unlink(missing_ok=True)

    def switch(self, level: int) -> None:
        with self.lock:
            if self.board is None:  # unplugged: nobody to press
                return
            self.board.pin("D2", level)
            if level == 0:
                self.placed.append(time.time())

    def reset(self) -> None:
        with self.lock:
            if self.board is not None:
                self.board.reset()

    @property
    def pid(self) -> int | None:
        return self.board._proc.pid if self.board is not None else None


def usage(pid: int) -> tuple[float, int]:
    """(RSS in MB, open file descriptors) from /proc."""
    return rss_mb(pid), len(os.listdir(f"/proc/{pid}/fd"))


def copy_piece(src: Path, dest: Path, edits: dict[str, str]) -> Path:
    """A copy of an installation folder, its installation.toml edited (regex -> text)."""
    shutil.copytree(src, dest)
    toml = dest / "installation.toml"
    text = toml.read_text()
    for pattern, repl in edits.items():
        text, n = re.subn(pattern, repl, text, count=1, flags=re.M)
        assert n == 1, f"{src.name}: {pattern!r} not found in installation.toml"
    toml.write_text(text)
    return dest


# -- the logs --------------------------------------------------------------------------
def logged(log: Path, device: str, name: str, node: str | None = None) -> list[Stamp]:
    """(node, seq, ts) of every `device.name` in an interaction log (of `node` if given)."""
    if not log.exists():
        return []
    query = "SELECT node, seq, ts FROM events WHERE device=? AND name=?"
    args: tuple[str, ...] = (device, name)
    if node is not None:
        query, args = query + " AND node=?", (*args, node)
    try:
        db = sqlite3.connect(f"file:{log}?mode=ro", uri=True, timeout=5)
        try:
            return list(db.execute(query, args))
        finally:
            db.close()
    except sqlite3.Error:
        return []


def tally(made: list[Stamp], seen: list[Stamp], kills: list[float], window: float) -> dict[str, int]:
    """made vs delivered: delivered, lost, lost in a broker window, duplicates, and the
    presses still too fresh to judge are left to the caller (pass only settled ones)."""
    seen_keys = Counter(seen)
    made_keys = set(made)
    out = {"made": len(made_keys), "delivered": 0, "lost": 0, "lost_in_window": 0,
           "duplicates": sum(c - 1 for c in seen_keys.values()),
           "unknown_at_lead": sum(1 for k in seen_keys if k not in made_keys)}
    for key in made_keys:
        if key in seen_keys:
            out["delivered"] += 1
        elif any(k - window <= key[2] <= k for k in kills):
            out["lost_in_window"] += 1
        else:
            out["lost"] += 1
    return out


def matched(made: list[float], seen: list[Stamp], away: list[tuple[float, float]],
            until: float) -> dict[str, int]:
    """A visitor's actions (times) before `until` against the events logged for them, one
    to one within MATCH s: delivered, lost, lost while the device was away (an action
    inside one of the `away` spells, missing), duplicates (one (node, seq, ts) twice),
    extra (an event before `until` that no action explains)."""
    made = sorted(t for t in made if t < until)
    seen_keys = Counter(seen)
    free = sorted(ts for _, _, ts in seen_keys)
    out = {"made": len(made), "delivered": 0, "lost": 0, "lost_while_away": 0,
           "duplicates": sum(c - 1 for c in seen_keys.values()), "extra": 0}
    for t in made:
        near = [ts for ts in free if abs(ts - t) <= MATCH]
        if near:
            free.remove(near[0])
            out["delivered"] += 1
        elif any(a <= t <= b for a, b in away):
            out["lost_while_away"] += 1
        else:
            out["lost"] += 1
    out["extra"] = sum(1 for ts in free if ts < until)
    return out


def spells(starts: list[float], ends: list[float], until: float) -> list[tuple[float, float]]:
    """(start, end) for each start: until the first end after it, or `until`."""
    return [(s, min([e for e in ends if e > s], default=until)) for s in starts if s < until]


def placings(watching: list[tuple[float, float]]) -> list[float]:
    """When the looping visit put an object on the shelf, in each spell the camera watched
    (the video starts from its beginning at every opening)."""
    out = []
    for start, end in watching:
        loop = start
        while loop < end:
            out += [loop + s for s in VISIT_PLACED if loop + s < end]
            loop += VISIT_SECONDS
    return out


# -- the soak --------------------------------------------------------------------------
#: Which visitor's events tell that a fault has recovered (the entrance's by default).
FAULT_SOURCE = {"uno reset": "plinth", "uno unplugged": "plinth", "video removed": "cam"}


@dataclass
class Fault:
    name: str
    at: float
    source: str = "entrance"
    restored: float = 0.0  # when the fault's cause was taken away (the broker back, the disk freed)
    recovered: float | None = None  # seconds from `restored` to an action seen where it ends


@dataclass
class Soak:
    tmp: Path
    minutes: float
    every: float
    press_gap: float
    port: int = field(default_factory=free_port)
    faults: list[Fault] = field(default_factory=list)
    broker_kills: list[float] = field(default_factory=list)
    samples: dict[str, list[tuple[float, int, float, int]]] = field(default_factory=dict)
    presses_sent: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    disk: bool = False  # the entrance's tmpfs is mounted

    def setup(self) -> None:
        files = write_config(self.tmp / "broker", port=self.port, bind="127.0.0.1", auth=False,
                             autosave=AUTOSAVE)
        self.broker = Proc("mosquitto", mosquitto_command(files.conf), self.tmp / "mosquitto.log")
        self.state = {n: self.tmp / n for n in ("gallery", "entrance", "plinth", "cabinet")}
        for path in self.state.values():
            path.mkdir()
        # The entrance's state folder on a small tmpfs of its own, to fill and free.
        self.disk = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs",
                                    str(self.state["entrance"])], capture_output=True).returncode == 0
        url = f"mqtt://127.0.0.1:{self.port}"
        self.flag = self.tmp / "raise"
        rooms = self.tmp / "two-rooms"
        shutil.copytree(TWO_ROOMS, rooms)
        (rooms / "behaviour.py").write_text(BEHAVIOUR.format(flag=str(self.flag)))
        plinth = copy_piece(PLINTH, self.tmp / "object-plinth",
                            {r"^\[serial\]\n": f'[serial]\nports = ["{self.tmp}/ttyACM-*"]\n'})
        cabinet = copy_piece(CABINET, self.tmp / "cabinet-of-curiosities",
                             {r"^source = .*$": 'source = "visit.avi"', r"^sim_source = .*\n": ""})
        self.video = cabinet / "visit.avi"
        self.video_away = self.tmp / "visit.avi"
        self.write_video()
        self.uno = Uno(self.tmp / "ttyACM-plinth")
        run = [MUSEOKIT, "run", "--display", "headless", "--state-dir"]
        self.nodes = {n: Proc(n, [*run, str(self.state[n]), str(rooms), "--backend", "sim",
                                  "--node", n, "--broker", url], self.tmp / f"{n}.log")
                      for n in ("gallery", "entrance")}
        self.nodes["plinth"] = Proc("plinth", [*run, str(self.state["plinth"]), str(plinth)],
                                    self.tmp / "plinth.log")
        self.nodes["cabinet"] = Proc("cabinet", [*run, str(self.state["cabinet"]), str(cabinet),
                                                 "--backend", "sim"], self.tmp / "cabinet.log")
        self.broker.start()
        self.wait_port()
        self.uno.plug()
        for p in self.nodes.values():
            p.start()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="soak-visitor")
        self.client.connect_async("127.0.0.1", self.port)
        self.client.loop_start()

    def write_video(self) -> None:
        """The cabinet's visit drawn by its own script, to the side: put in place once the
        camera has looked for it, and at the end of every `video removed`."""
        subprocess.run([sys.executable, str(CABINET / "scenarios" / "make_video.py"),
                        str(self.video_away)], check=True, capture_output=True)

    def wait_logged(self, node: str, device: str, name: str, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while not self.times(node, device, name) and time.time() < deadline:
            time.sleep(0.5)

    def wait_port(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    # visitors
    def visitor(self, press: Callable[[], None], release: Callable[[], None]) -> None:
        while not self.stop.is_set():
            press()
            time.sleep(0.15)
            release()
            self.stop.wait(self.press_gap)

    def entrance_press(self) -> None:
        self.client.publish(f"{PREFIX}/entrance/start/sim/press", b"", qos=1)
        self.presses_sent += 1

    def entrance_release(self) -> None:
        self.client.publish(f"{PREFIX}/entrance/start/sim/release", b"", qos=1)

    # faults
    def inject(self, kind: str) -> None:
        fault = Fault(kind, time.time(), FAULT_SOURCE.get(kind, "entrance"))
        self.faults.append(fault)
        print(f"  fault: {kind}", flush=True)
        if kind == "broker restart":
            self.broker.signal(signal.SIGTERM)
            time.sleep(2)
            self.broker.start()
        elif kind == "broker kill -9":
            self.broker_kills.append(time.time())
            self.broker.signal(signal.SIGKILL)
            time.sleep(2)
            self.broker.start()
        elif kind.endswith("kill -9"):
            node = self.nodes[kind.split()[0]]
            node.signal(signal.SIGKILL)
            time.sleep(1)
            node.start()
        elif kind == "handler raising":
            self.flag.touch()
            self.stop.wait(20)
            self.flag.unlink()
        elif kind == "entrance disk full":
            filler = self.state["entrance"] / "filler"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
            self.stop.wait(30)
            filler.unlink(missing_ok=True)
        elif kind == "uno reset":
            self.uno.reset()
        elif kind == "uno unplugged":
            self.uno.unplug()
            time.sleep(3)
            self.uno.plug()
        elif kind == "video removed":
            os.replace(self.video, self.video_away)
            self.stop.wait(30)
            os.replace(self.video_away, self.video)
        fault.restored = time.time()
        threading.Thread(target=self.watch_recovery, args=(fault,), daemon=True).start()

    def watch_recovery(self, fault: Fault) -> None:
        start = fault.restored
        while not self.stop.is_set() and time.time() - start < 600:
            if any(ts > start for _, _, ts in self.seen(fault.source)):
                fault.recovered = time.time() - start
                return
            time.sleep(0.5)

    def sample(self) -> None:
        now = time.time()
        for p in [self.broker, *self.nodes.values(), self.uno]:
            pid = p.pid
            if pid is None or now - p.started < 30:  # still starting: not its steady size
                continue
            try:
                rss, fds = usage(pid)
            except OSError:
                continue
            self.samples.setdefault(p.role, []).append((now, pid, rss, fds))

    # counting
    def seen(self, source: str) -> list[Stamp]:
        """A source's events where they are delivered."""
        if source == "entrance":
            return logged(self.state["gallery"] / LOG, "start", "pressed", "entrance")
        if source == "plinth":
            return logged(self.state["plinth"] / LOG, "plinth", "pressed")
        return logged(self.state["cabinet"] / LOG, "cam", "marker_placed")

    def times(self, node: str, device: str, name: str) -> list[float]:
        return [ts for _, _, ts in logged(self.state[node] / LOG, device, name)]

    def counts(self, settle: float = 10) -> dict[str, dict[str, int]]:
        """Per source, the actions older than `settle` s against their events."""
        until = time.time() - settle
        made = [k for k in logged(self.state["entrance"] / LOG, "start", "pressed", "entrance")
                if k[2] < until]
        entrance = tally(made, [k for k in self.seen("entrance") if k[2] < until],
                         self.broker_kills, AUTOSAVE + 1)
        uno_away = spells([f.at for f in self.faults if f.source == "plinth"],
                          self.times("plinth", "plinth", "online"), until)
        plinth = matched(self.uno.placed, self.seen("plinth"), uno_away, until)
        watching = spells(self.times("cabinet", "cam", "online"),
                          self.times("cabinet", "cam", "offline"), until)
        cam = matched(placings(watching), self.seen("cam"), [], until)
        return {"entrance": entrance, "plinth": plinth, "cam": cam}

    def run(self) -> int:
        self.setup()
        cycle = ["uno reset", "broker restart", "video removed", "entrance kill -9",
                 "uno unplugged", "handler raising", "broker kill -9", "gallery kill -9"]
        if self.disk:
            cycle.append("entrance disk full")
        time.sleep(5)
        self.wait_logged("cabinet", "cam", "offline")  # the camera started without its file
        os.replace(self.video_away, self.video)
        for press, release in [(self.entrance_press, self.entrance_release),
                               (lambda: self.uno.switch(0), lambda: self.uno.switch(1))]:
            threading.Thread(target=self.visitor, args=(press, release), daemon=True).start()
        t0 = time.time()
        end = t0 + self.minutes * 60
        next_fault, next_line, i = t0 + self.every, t0 + 60, 0
        self.sample()
        try:
            while time.time() < end:
                time.sleep(1)
                for p in self.nodes.values():  # the supervisor
                    if p.proc and p.proc.poll() is not None:
                        print(f"  supervisor: {p.role} exited ({p.proc.returncode}), restarting",
                              flush=True)
                        p.start()
                if time.time() >= next_fault and end - time.time() > 60:
                    self.inject(cycle[i % len(cycle)])
                    i += 1
                    next_fault = time.time() + self.every
                if time.time() >= next_line:
                    self.sample()
                    counts = " | ".join(f"{s} {figures(c)}" for s, c in self.counts().items())
                    mem = " ".join(f"{r}={s[-1][2]:.0f}MB/{s[-1][3]}fd"
                                   for r, s in self.samples.items() if s)
                    print(f"[{(time.time() - t0) / 60:4.1f} min] sent={self.presses_sent} "
                          f"{counts} {mem}", flush=True)
                    next_line += 60
            deadline = time.time() + 60  # visitors go on until every fault has recovered
            while time.time() < deadline and any(f.recovered is None for f in self.faults):
                time.sleep(1)
        finally:
            self.stop.set()
            time.sleep(12)  # let the last presses settle
            self.sample()
            result = self.report()
            self.client.loop_stop()
            for p in [*self.nodes.values(), self.broker]:
                p.signal(signal.SIGTERM)
            self.uno.unplug()
        return result

    def unmount(self) -> None:
        """The entrance's tmpfs, also when setting up failed after mounting it."""
        if self.disk:
            subprocess.run(["umount", str(self.tmp / "entrance")], capture_output=True)
            self.disk = False

    def report(self) -> int:
        counts = self.counts(settle=0)
        c = counts["entrance"]
        print("\n== soak report ==")
        print(f"minutes {self.minutes}, presses sent {self.presses_sent}, made at the entrance "
              f"{c['made']}, delivered at the lead {c['delivered']}")
        print(f"lost {c['lost']} (outside the broker window), lost inside the broker's "
              f"{AUTOSAVE + 1} s kill -9 window {c['lost_in_window']}, duplicates "
              f"{c['duplicates']}, at the lead but not in the entrance's log "
              f"{c['unknown_at_lead']}")
        for source, what in (("plinth", "objects put on the plinth (simavr D2)"),
                             ("cam", "objects the video put on the shelf while the camera watched")):
            print(f"{source}: {what}, delivered at its node's log: {figures(counts[source])}")
        print("resources (first -> last of the last incarnation; slope per hour):")
        for role, rows in self.samples.items():
            last_pid = rows[-1][1]
            mine = [r for r in rows if r[1] == last_pid]
            a, b = mine[0], mine[-1]
            hours = max((b[0] - a[0]) / 3600, 1e-9)
            print(f"  {role:9} pid {last_pid} ({len({r[1] for r in rows})} incarnations): "
                  f"RSS {a[2]:.1f} -> {b[2]:.1f} MB ({(b[2] - a[2]) / hours:+.1f} MB/h), "
                  f"fds {a[3]} -> {b[3]} ({(b[3] - a[3]) / hours:+.1f}/h) over "
                  f"{(b[0] - a[0]) / 60:.0f} min")
        print("faults:")
        for f in self.faults:
            rec = ("NOT RECOVERED" if f.recovered is None
                   else f"recovered {f.recovered:.1f} s after restored")
            print(f"  {time.strftime('%H:%M:%S', time.localtime(f.at))} {f.name:20} "
                  f"lasted {f.restored - f.at:4.1f} s, {rec} (seen at {f.source})")
        raised = (self.tmp / "gallery.log").read_text(errors="replace").count("raises on purpose")
        print(f"the lead's log names the raising handler {raised} times")
        ok = (all(c["lost"] == 0 and c["duplicates"] == 0 and c.get("extra", 0) == 0
                  for c in counts.values())
              and all(f.recovered is not None for f in self.faults))
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


def figures(c: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in c.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--every", type=float, default=180, help="seconds between faults")
    ap.add_argument("--press-gap", type=float, default=4.0, help="seconds between presses")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, interaction logs)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="museokit-soak-"))
    print(f"soak folder {tmp}", flush=True)
    soak = Soak(tmp, args.minutes, args.every, args.press_gap)
    try:
        return soak.run()
    finally:
        soak.unmount()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
