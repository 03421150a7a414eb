"""What every `museokit` command shares: loading an installation and printing its problems,
start errors, signals, the stop line, and the exit codes.

It sits below the commands (`museokit.cli`, `museokit.sim.command`), so both use it and
neither imports the other.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from museokit.core.config import Installation
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Startable(Protocol):
    """A runtime, or the simulator's live session around one."""

    def start(self) -> Any: ...


def load_or_report(path: str) -> Installation | None:
    """The checked installation, or None after printing every problem."""
    from museokit.core.config import InstallationError, load_installation
    from museokit.core.plugins import PluginError

    try:
        inst = load_installation(path)
    except InstallationError as exc:
        print_issues(exc.issues)
        return None
    except PluginError as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return None
    if inst.uses:  # behaviour bricks: installed or found, in a version the file accepts
        from museokit.bricks.uses import check_uses

        problems = check_uses(inst.file, inst.uses, inst.folder.resolve().name)
        if problems:
            print_issues(problems)
            return None
    for warning in inst.warnings:
        log.debug("%s", warning)
    return inst


def print_issues(issues: Sequence[object]) -> None:
    for issue in issues:
        print(issue, file=sys.stderr)
    n = len(issues)
    print(f"{n} problem{'s' if n != 1 else ''} found; nothing was started.", file=sys.stderr)


def start_or_report(runtime: Startable) -> bool:
    from museokit.core.config import InstallationError
    from museokit.core.runtime import StartError

    try:
        runtime.start()
    except InstallationError as exc:
        print_issues(exc.issues)
        return False
    except (StartError, ValueError) as exc:
        print(f"museokit: cannot start: {exc}", file=sys.stderr)
        return False
    return True


@contextlib.contextmanager
def on_signals(stop: Callable[[], Any]) -> Iterator[None]:
    """Call `stop` on SIGINT/SIGTERM while inside the block."""
    def handle(signum: int, frame: object) -> None:
        log.info("%s received, stopping", signal.Signals(signum).name)
        stop()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def print_stopped(runtime: Runtime) -> None:
    print(f"museokit: stopped after {runtime.bus.published} events, "
          f"{runtime.bus.stats.errors} handler errors", flush=True)


def node_plan(inst: Installation, args: argparse.Namespace) -> tuple[Installation, Any] | None:
    """The installation as this node runs it, and its broker settings (or None)."""
    from museokit.net.settings import plan

    try:
        return plan(inst, args.node, broker=args.broker, state_dir=args.state_dir,
                    tls_ca=args.tls_ca, tls_cert=args.tls_cert, tls_key=args.tls_key,
                    discovery=args.discovery)
    except ValueError as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return None
