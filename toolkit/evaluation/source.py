"""Which log a command reads: `PATH` (an installation or the log itself), `--log`,
`--state-dir`, and `--from`/`--to` — shared by `museokit report` and `museokit log`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from museokit.core.config import Installation

LOG_SUFFIXES = (".sqlite", ".sqlite3", ".db")
EXIT_FAILED = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    """PATH, --log, --state-dir, --from and --to."""
    p.add_argument("path", help="installation folder, or an interaction log (.sqlite)")
    p.add_argument("--log", type=Path, metavar="FILE", help="the interaction log (default: the "
                   "installation's, in its state folder)")
    p.add_argument("--state-dir", help="the node's state folder (default: as museokit run)")
    p.add_argument("--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD [HH:MM])")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day, included")


def locate(args: argparse.Namespace) -> tuple[Path, Installation | None] | int:
    """The log and its installation (None when PATH is the log itself); an exit status
    after printing the installation's problems."""
    path = Path(args.path)
    if path.suffix in LOG_SUFFIXES or (path.is_file() and path.suffix != ".toml"):
        return path, None
    from museokit.cli import load_or_report
    from museokit.ops.interactions import log_path

    inst = load_or_report(args.path)
    if inst is None:
        return EXIT_FAILED
    return (args.log if args.log is not None else log_path(inst, args.state_dir)), inst
