"""Run every benchmark and print one table: museokit, raw baseline, ratio, target, PASS/MISS.

    .venv/bin/python bench/run.py            # all
    .venv/bin/python bench/run.py bus day    # only those whose name contains a word given
    .venv/bin/python bench/run.py --loaded latency gpio   # each twice: quiet, then with
                                             # every core kept busy by a CPU hog
    .venv/bin/python bench/run.py --loaded --realtime latency gpio   # and a third time,
        # loaded, with this process at SCHED_FIFO: what `museokit service install
        # --realtime` asks systemd for (root, or CAP_SYS_NICE). The threads and children it
        # starts inherit the policy (a broker or simavr too: keep to the benches without).

Exits 0 even when a target is missed: benchmarks report, they do not assert.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

import bench_bricks
import bench_bus
import bench_dashboard
import bench_gallery_day
import bench_gpio
import bench_idle
import bench_latency
import bench_log
import bench_media
import bench_mqtt
import bench_parts
import bench_serial
import bench_startup
import bench_vision
from _common import Result, report

from museokit.ops.service import REALTIME_PRIORITY

BENCHES = {"bus": bench_bus, "latency": bench_latency, "day": bench_gallery_day,
           "startup": bench_startup, "serial": bench_serial, "vision": bench_vision,
           "gpio": bench_gpio, "media": bench_media, "mqtt": bench_mqtt,
           "dashboard": bench_dashboard, "log": bench_log, "parts": bench_parts,
           "bricks": bench_bricks, "idle": bench_idle}


@contextmanager
def realtime() -> Iterator[None]:
    """This process at SCHED_FIFO, the service's `--realtime` priority, then back."""
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
    try:
        yield
    finally:
        os.sched_setscheduler(0, policy, param)


@contextmanager
def cpu_hogs() -> Iterator[None]:
    """One busy-looping Python process per core, at the benchmark's own priority."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 1)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def run_benches(chosen: list[str], failed: list[str]) -> list[Result]:
    """Each bench in turn; one that fails is named in `failed` (one line) and the others
    still run, so a long run's figures are not lost to its last bench."""
    results: list[Result] = []
    for name in chosen:
        print(f"[{name}]", file=sys.stderr, flush=True)
        try:
            results += BENCHES[name].run()
        except Exception as exc:
            failed.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
            print(f"[{name}] failed: {failed[-1]}", file=sys.stderr, flush=True)
    return results


def main(argv: list[str]) -> int:
    # Started in the background (`nohup … &`), this process inherits SIGINT ignored, and an
    # ignored signal stays ignored across exec: the children the benches stop "as Ctrl-C
    # would" (bench_startup) would never stop. A handler is reset to the default at exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    loaded, fifo = "--loaded" in argv, "--realtime" in argv
    words = [word for word in argv if word not in ("--loaded", "--realtime")]
    chosen = [name for name in BENCHES if not words or any(word in name for word in words)]
    started = perf_counter()
    failed: list[str] = []
    results = run_benches(chosen, failed)
    if loaded or fifo:
        print("[every core busy]", file=sys.stderr, flush=True)
        with cpu_hogs():
            if loaded:
                results += [r.under_load() for r in run_benches(chosen, failed)]
            if fifo:
                print("[every core busy, museokit at SCHED_FIFO]", file=sys.stderr, flush=True)
                with realtime():
                    results += [r.under_load("loaded, SCHED_FIFO") for r in run_benches(chosen, failed)]
    report(f"museokit benchmarks ({perf_counter() - started:.0f} s; ratio = museokit / raw)",
           results)
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
