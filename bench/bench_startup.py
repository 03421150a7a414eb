"""Time-to-ready and peak RSS of `museokit sim installations/hello-button`.

Each run spawns the process, reads its stdout until a line containing " ready"
(the CLI's "museokit: Hello button ready — 3 devices on sim ..."), and takes the
time since spawn. Then it reads the peak RSS (VmHWM in /proc/<pid>/status) and
stops the process with SIGINT, as Ctrl-C would.

Raw baseline: the same venv's Python running only
`import time; print(' ready', flush=True); time.sleep(5)`, measured the same way:
the cost of starting Python itself.

Runs alternate between the two; medians of RUNS runs after one warm-up each.
Targets: <= 300 ms to ready, <= 40 MB peak RSS.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from time import perf_counter_ns

from _common import Result, median, progress, report, rss_mb

ROOT = Path(__file__).resolve().parent.parent
MUSEOKIT = [str(Path(sys.executable).with_name("museokit")), "sim",
            str(ROOT / "installations" / "hello-button")]
BARE = [sys.executable, "-c", "import time; print(' ready', flush=True); time.sleep(5)"]
RUNS = 10
SETTLE = 0.05   # seconds after ready before reading the peak RSS


def start_once(argv: list[str]) -> tuple[float, float]:
    """Spawn `argv`; return (ms until a ' ready' line, peak RSS in MB)."""
    t0 = perf_counter_ns()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    assert proc.stdout is not None
    try:
        ms = float("nan")
        for line in proc.stdout:
            if " ready" in line:
                ms = (perf_counter_ns() - t0) / 1e6
                break
        else:
            raise RuntimeError(f"{argv[0]} exited ({proc.wait()}) without a ready line")
        time.sleep(SETTLE)
        rss = rss_mb(proc.pid, peak=True)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=5)
        return ms, rss
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def run() -> list[Result]:
    ours: list[tuple[float, float]] = []
    raw: list[tuple[float, float]] = []
    start_once(MUSEOKIT), start_once(BARE)  # warm the page cache
    for i in range(RUNS):
        progress(f"startup run {i + 1}/{RUNS}")
        ours.append(start_once(MUSEOKIT))
        raw.append(start_once(BARE))
    return [
        Result("time to ready", median(r[0] for r in ours), median(r[0] for r in raw), "ms", 300,
               note=f"median of {RUNS} spawns of `museokit sim installations/hello-button`; "
                    "raw = `python -c` printing ' ready'"),
        Result("peak RSS (VmHWM)", median(r[1] for r in ours), median(r[1] for r in raw), "MB", 40),
    ]


def main() -> int:
    report("Startup of `museokit sim installations/hello-button` (lower is better)", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
