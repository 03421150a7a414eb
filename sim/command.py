"""`museokit sim`: scenarios, gallery days, and live sessions in the window or the console.

It lives with the simulator; `toolkit/cli.py` hands the parsed arguments over, and both
use the helpers in `museokit.cli_support` (loading, start errors, signals, exit codes).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museokit.cli_support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    load_or_report,
    node_plan,
    on_signals,
    print_issues,
    print_stopped,
    start_or_report,
)

if TYPE_CHECKING:
    from museokit.core.config import Installation
    from museokit.sim.live import LiveSession

#: Seconds between two looks at the installation's files for a hot reload.
RELOAD_POLL = 0.25


def simulate(args: argparse.Namespace) -> int:
    inst = load_or_report(args.path)
    if inst is None:
        return EXIT_FAILED
    if args.scenario and args.visitors:
        print("museokit: use --scenario or --visitors, not both", file=sys.stderr)
        return EXIT_USAGE
    if args.camera is not None:
        if not (args.camera.isdigit() or Path(args.camera).is_file()):
            print(f"museokit: --camera {args.camera}: no such video file (or give a webcam "
                  "number, 0 for the laptop's own)", file=sys.stderr)
            return EXIT_USAGE
        _use_camera(inst, args.camera)
    batch = bool(args.scenario or args.visitors is not None or args.replay is not None)
    if batch and not args.verbose:
        # Batch runs print a report; the behaviour's own info lines would bury it.
        logging.getLogger().setLevel(logging.WARNING)
    if batch:
        # Batch runs are headless: screens draw nowhere, sound plays nowhere.
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    if args.replay is not None:
        from museokit.sim.replay import replay_command

        return replay_command(inst, args)
    if args.scenario:
        return _run_scenarios(inst, [Path(s) for s in args.scenario], args.log)
    if args.visitors is not None:
        return _run_days(inst, args)
    joined = node_plan(inst, args)
    if joined is None:
        return EXIT_FAILED
    inst, settings = joined
    if settings is not None:
        return _run_node_live(inst, settings, args.duration, args.headless, args.log)
    return _run_live(inst, args.duration, args.record, args.headless, args.camera, args.log)


def _use_camera(inst: Installation, camera: str) -> None:
    """`--camera`: every camera device watches this file or webcam in the simulator."""
    source: int | str = int(camera) if camera.isdigit() else str(Path(camera).resolve())
    for device in inst.devices:
        if device.kind == "camera":
            device.options["sim_source"] = source


def _run_live(inst: Installation, duration: float | None, record: Path | None,
              headless: bool, camera: str | None = None, log_file: Path | None = None) -> int:
    """Live simulation: the window when a display is there, else the console; both hot-reload."""
    from museokit.sim.live import LiveSession
    from museokit.sim.record import Recorder

    session = LiveSession(inst)
    if camera is not None:  # a reloaded installation watches the same --camera
        session.on_load.append(lambda reloaded: _use_camera(reloaded, camera))
    recorder = Recorder(session) if record is not None else None
    interactions = _session_log(session, inst, log_file)
    if interactions is False:
        return EXIT_FAILED
    try:
        if not _serve_session(session, inst, duration, headless):
            return EXIT_FAILED
    finally:
        if recorder is not None and record is not None:
            print(recorder.save(record), flush=True)
        if interactions is not None:
            interactions.close()
    return EXIT_OK


def _session_log(session: LiveSession, inst: Installation, log_file: Path | None) -> Any:
    """`--log FILE` for a live session: attached to every runtime it starts (see _open_log)."""
    interactions = _open_log(inst, log_file)
    if interactions:
        session.before_start.append(interactions.attach)
    return interactions


def _open_log(inst: Installation, log_file: Path | None) -> Any:
    """`--log FILE`: the simulation's interaction log (None without it, False after one line
    saying why it cannot be written). Lossless: a simulation waits for the disk."""
    if log_file is None:
        return None
    from museokit.ops.interactions import InteractionLog, LogError

    try:
        return InteractionLog(log_file, node=inst.node, installation=inst.name,
                              keep_days=None, max_mb=inst.log.max_mb, lossless=True)
    except LogError as exc:
        print(f"museokit: --log: {exc}", file=sys.stderr)
        return False


def _serve_session(session: LiveSession, inst: Installation, duration: float | None,
                   headless: bool, where: str = "") -> bool:
    """Start `session` and show it in the simulator window (a display is there) or the console,
    until closed, Ctrl-C or `duration`; then close it. False if it did not start."""
    window = None if headless else _window(session)
    if window is None:
        from museokit.sim.console import Console

        console = Console(session)
    try:
        if not start_or_report(session):
            return False
        if window is not None:
            saving = "saving a file reloads it; " if session.hot_reload else ""
            print(f"museokit: {inst.name} ready — {len(inst.devices)} devices on sim{where}, in the "
                  f"simulator window ({saving}close the window to stop)", flush=True)
            with on_signals(window.close):
                window.run(duration)
        else:
            _console_until_done(session, console, inst, duration)
    finally:
        session.close()
        if session.runtime is not None:
            print_stopped(session.runtime)
    return True


def _run_node_live(inst: Installation, settings: Any, duration: float | None, headless: bool,
                   log_file: Path | None = None) -> int:
    """One node of a multi-node installation, live: its own devices on the simulator, the other
    nodes' over the broker, in the window (remote devices shown with their node's online
    state) or the console. No hot reload: the new version would need the old one's broker
    session and outbox, which stay open until it is closed."""
    from museokit.net.remote import simulated
    from museokit.sim.live import LiveSession

    session = LiveSession(simulated(inst), backend_override=None, hot_reload=False)
    try:
        session.join_broker(settings)
    except ImportError as exc:
        print(f"museokit: joining a broker needs paho-mqtt ({exc}): pip install 'museokit[mqtt]'",
              file=sys.stderr)
        return EXIT_FAILED
    interactions = _session_log(session, inst, log_file)  # the lead's holds every node's events
    if interactions is False:
        return EXIT_FAILED
    try:
        started = _serve_session(session, inst, duration, headless,
                                 where=f"; node {inst.node} on broker {settings.url}")
    finally:
        if interactions is not None:
            interactions.close()
    return EXIT_OK if started else EXIT_FAILED


def _window(session: LiveSession) -> Any:
    """The simulator window, or None (and why, on stderr) when there is no display or no pygame."""
    if not _display_present():
        return None
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        from museokit.sim.window import SimWindow
    except ImportError as exc:
        print(f"museokit: no simulator window ({exc}); install it with "
              "pip install 'museokit[sim]' — running headless", file=sys.stderr)
        return None
    return SimWindow([session])


def _display_present() -> bool:
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _console_until_done(session: LiveSession, console: Any, inst: Installation,
                        duration: float | None) -> None:
    """Headless: read typed lines, reload saved files, until Ctrl-C, `quit` or --for."""
    import threading
    import time

    done = threading.Event()
    deadline = None if duration is None else time.monotonic() + duration
    inputs = [d.id for d in inst.devices if d.cls.role == "input"]
    hint = f"type 'help', or e.g. '{_example(inst)}'" if inputs else "no input devices"
    with on_signals(done.set):
        print(f"museokit: {inst.name} ready — {len(inst.devices)} devices on sim (headless; "
              f"{hint}; {'saving a file reloads it; ' if session.hot_reload else ''}Ctrl-C to stop)",
              flush=True)
        if not sys.stdin.closed and sys.stdin.readable():
            console.read_stdin()
        while not (done.is_set() or session.ended.is_set()):
            if deadline is not None and time.monotonic() >= deadline:
                break
            session.reload_if_changed()
            done.wait(RELOAD_POLL)


def _example(inst: Installation) -> str:
    for d in inst.devices:
        if d.cls.sim_actions:
            return f"{d.cls.sim_actions[0]} {d.id}"
    return "status"


def _run_scenarios(inst: Installation, paths: list[Path], log_file: Path | None = None) -> int:
    from museokit.sim.scenario import ScenarioError, load_scenario, run_scenario

    files: list[Path] = []
    for p in paths:
        files += sorted(p.glob("*.scenario")) if p.is_dir() else [p]
    if not files:
        print(f"museokit: no *.scenario files in {', '.join(map(str, paths))}", file=sys.stderr)
        return EXIT_FAILED
    failed = 0
    for file in files:
        try:
            scenario = load_scenario(file, inst)
        except ScenarioError as exc:
            print_issues(exc.issues)
            failed += 1
            continue
        except OSError as exc:
            print(f"{file}: cannot read: {exc}", file=sys.stderr)
            failed += 1
            continue
        interactions = _open_log(inst, log_file)
        if interactions is False:
            return EXIT_FAILED
        try:
            result = run_scenario(inst, scenario,
                                  before_start=interactions.attach if interactions else None)
        finally:
            if interactions:
                interactions.close()
        for line in result.lines():
            print(line)
        failed += not result.passed
    total = len(files)
    print(f"{total - failed} passed, {failed} failed")
    return EXIT_OK if failed == 0 else EXIT_FAILED


def _run_days(inst: Installation, args: argparse.Namespace) -> int:
    """`--visitors N [--days D] [--log FILE]`: gallery days one after the other, each opening
    at 10:00 local time from Monday 2026-01-05 on (seed + day: every day differs)."""
    from museokit.sim.visitors import day_epoch, run_gallery_day

    visitors, hours, seed, days = args.visitors, args.hours, args.seed, args.days
    if visitors < 0 or hours <= 0 or days < 1:
        print("museokit: --visitors must be 0 or more, --hours above 0 and --days 1 or more",
              file=sys.stderr)
        return EXIT_USAGE
    interactions = _open_log(inst, args.log)
    if interactions is False:
        return EXIT_FAILED
    try:
        for day in range(days):
            if days > 1:
                print(f"day {day + 1} of {days}", flush=True)
            report = run_gallery_day(inst, visitors, hours, seed + day,
                                     progress=_progress_bar(hours),
                                     epoch=day_epoch(day) if interactions or days > 1 else None,
                                     before_start=interactions.attach if interactions else None)
            for line in report.lines():
                print(line)
    finally:
        if interactions:
            interactions.close()
            print(f"interaction log: {interactions.written:,} events in {args.log}; report: "
                  f"museokit report {inst.folder} --log {args.log} --out report.html", flush=True)
    return EXIT_OK


def _progress_bar(hours: float) -> Callable[[float], None]:
    """Progress on stderr: a live bar on a terminal, a line per quarter otherwise."""
    tty = sys.stderr.isatty()
    last = [-1]

    def show(fraction: float) -> None:
        if tty:
            filled = int(fraction * 30)
            sys.stderr.write(f"\r  simulating [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{fraction * hours:5.2f} / {hours:g} h")
            if fraction >= 1:
                sys.stderr.write("\n")
        elif int(fraction * 4) > last[0]:
            last[0] = int(fraction * 4)
            sys.stderr.write(f"  simulated {fraction * hours:.2f} / {hours:g} h\n")
        sys.stderr.flush()

    return show
