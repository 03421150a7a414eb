"""Child of the full-disk test, run as root of its own mount namespace (`unshare -rm`):
a tmpfs of 1 MiB holds the log; the disk fills up, then the mount turns read-only, and a
simulated visitor keeps pressing the button all along.

    python full_disk.py FOLDER      (FOLDER is mounted here, in the namespace only)

Prints `visitor ok N` (N presses all handled), `logged N` (rows in the log), `wanted N`.
"""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from museokit.core.config import load_installation
from museokit.ops.interactions import InteractionLog, read_events
from museokit.sim.harness import Harness

HELLO = Path(__file__).resolve().parents[2] / "installations" / "hello-button"


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    folder = Path(sys.argv[1])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], check=True)
    path = folder / "interactions.sqlite"
    ilog = InteractionLog(path, interval=0.02, retry=0.1, keep_days=None)
    filler = folder / "filler"
    presses = 0
    with Harness(load_installation(HELLO), before_start=ilog.attach) as h:
        h.act("entrance", "motion")
        h.run_for(1)

        def visit(n: int) -> None:
            nonlocal presses
            for _ in range(n):
                before = h.device("lamp").label
                h.act("door", "press")
                h.run_for(0.05)
                h.act("door", "release")
                h.run_for(0.5)
                presses += 1
                assert h.device("lamp").label != before, "the press did nothing"

        # Fill the disk but for a few pages, then log until the writer pauses.
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        deadline = time.monotonic() + 20
        while not ilog.paused and time.monotonic() < deadline:
            visit(20)
            time.sleep(0.05)
        assert ilog.paused, "the writer never noticed the full disk"
        visit(30)  # visitors notice nothing while the log is paused
        filler.unlink()
        deadline = time.monotonic() + 20
        while ilog.paused and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not ilog.paused, "the writer did not resume"
        visit(5)
        time.sleep(0.2)
        wanted = len(h.runtime.bus.stats.errors_by_handler)
        assert wanted == 0
        published = h.runtime.bus.published
    ilog.close()
    print(f"full: visitor ok {presses}, logged {sum(1 for _ in read_events(path))}, "
          f"wanted {published}, dropped {ilog.dropped}", flush=True)
    read_only(folder.with_name(folder.name + "-ro"))


def read_only(folder: Path) -> None:
    """A state folder read-only from the start (a card mounted ro): the log waits, then opens."""
    folder.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(folder)], check=True)
    path = folder / "interactions.sqlite"
    ilog = InteractionLog(path, interval=0.02, retry=0.1, keep_days=None)
    assert ilog.paused
    presses = 0
    with Harness(load_installation(HELLO), before_start=ilog.attach) as h:
        h.act("entrance", "motion")
        for _ in range(10):
            before = h.device("lamp").label
            h.act("door", "press")
            h.run_for(0.05)
            h.act("door", "release")
            h.run_for(0.5)
            assert h.device("lamp").label != before, "the press did nothing"
            presses += 1
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
        deadline = time.monotonic() + 20
        while ilog.paused and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not ilog.paused, "the writer did not resume after the remount"
        published = h.runtime.bus.published
    ilog.close()
    print(f"read-only: visitor ok {presses}, logged {sum(1 for _ in read_events(path))}, "
          f"wanted {published}, dropped {ilog.dropped}", flush=True)


if __name__ == "__main__":
    main()
