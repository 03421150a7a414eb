"""Shared helpers for the benchmarks: results, percentiles, and the table they print."""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns

median = statistics.median


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def timed_ns(fn: Callable[[], object]) -> int:
    t0 = perf_counter_ns()
    fn()
    return perf_counter_ns() - t0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux's /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, peak: bool = False) -> float:
    """A process's resident memory now (VmRSS), or its peak so far (VmHWM), in MB."""
    field = "VmHWM:" if peak else "VmRSS:"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


@dataclass
class Result:
    """One measure: museokit's figure beside the raw baseline from the same run.

    `ratio` is always museokit / raw. `higher_is_better` says which way the target
    points: the check is `museokit >= target` or `museokit <= target`, unless
    `target_is_ratio`, in which case the ratio is compared instead.
    """

    measure: str
    ours: float
    raw: float
    unit: str
    #: None: reported beside the raw figure, with no target (a p50 where the issue sets a p99).
    target: float | None
    higher_is_better: bool = False
    target_is_ratio: bool = False
    note: str = ""
    #: The target on a busy machine, where it differs from the quiet one: (target,
    #: target_is_ratio). Press → handler is 200 µs quiet but 2x the raw handoff loaded.
    loaded_target: tuple[float, bool] | None = None

    def under_load(self, how: str = "loaded") -> Result:
        """This measure's row for a run with every core busy, against its loaded target."""
        target, is_ratio = self.loaded_target or (self.target, self.target_is_ratio)
        return dataclasses.replace(self, measure=f"{self.measure} ({how})", target=target,
                                   target_is_ratio=is_ratio, loaded_target=None)

    @property
    def ratio(self) -> float:
        return self.ours / self.raw if self.raw else float("inf")

    @property
    def passed(self) -> bool:
        if self.target is None:
            return True
        value = self.ratio if self.target_is_ratio else self.ours
        return value >= self.target if self.higher_is_better else value <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "reported"
        op = ">=" if self.higher_is_better else "<="
        return f"{op} {self.target:g}x raw" if self.target_is_ratio else \
            f"{op} {fmt(self.target)} {self.unit}"


def fmt(x: float) -> str:
    if x != x:  # nan
        return "n/a"
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"


def table(results: Sequence[Result]) -> str:
    rows = [("measure", "museokit", "raw baseline", "ratio", "target", "")]
    for r in results:
        rows.append((r.measure, f"{fmt(r.ours)} {r.unit}", f"{fmt(r.raw)} {r.unit}",
                     f"{r.ratio:.2f}x", r.target_text,
                     "" if r.target is None else "PASS" if r.passed else "MISS"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {r.measure}: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["", "notes (ratio = museokit / raw):", *notes] if notes else []))


def report(title: str, results: Sequence[Result]) -> None:
    print(f"\n{title}\n")
    print(table(results))
    print(flush=True)
