"""The brick commands: `new --from`, `brick score|pack|sheet`, `bricks`, `catalog build`,
and the brick half of `check`. `toolkit/cli.py` registers them and hands over.

Heavy work is imported inside each command, so `museokit run` never pays for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub: Any) -> None:
    """Add `brick`, `bricks` and `catalog` to the `museokit` command."""
    brick = sub.add_parser("brick", help="score, pack or print a sheet for a brick")
    brick.set_defaults(func=_help(brick))
    actions = brick.add_subparsers(title="brick commands", metavar="ACTION")
    score = actions.add_parser("score", help="rate a brick like a scorecard, each gap with its fix")
    score.add_argument("path")
    score.add_argument("--no-scenarios", action="store_true", help="do not run its scenarios")
    score.set_defaults(func=cmd_score)
    pack = actions.add_parser("pack", help="build the brick's wheel and sdist (PEP 517)")
    pack.add_argument("path")
    pack.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="where the wheel and sdist go (default: PATH/dist)")
    pack.set_defaults(func=cmd_pack)
    sheet = actions.add_parser("sheet", help="a printable wiring, parts and power sheet")
    sheet.add_argument("path")
    sheet.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="folder for sheet.html and wiring.svg (default: PATH/sheet)")
    sheet.set_defaults(func=cmd_sheet)

    bricks = sub.add_parser("bricks", help="list and search installed and catalogued bricks")
    bricks.add_argument("term", nargs="?", default="", help="words to look for")
    bricks.add_argument("--index", action="append", default=[], metavar="FILE_OR_URL",
                        help="a catalog's index.json (file or http(s) URL); repeatable")
    bricks.set_defaults(func=cmd_bricks)

    catalog = sub.add_parser("catalog", help="build a static catalog site of bricks")
    catalog.set_defaults(func=_help(catalog))
    catalog_actions = catalog.add_subparsers(title="catalog commands", metavar="ACTION")
    build = catalog_actions.add_parser("build", help="write the site and its index.json")
    build.add_argument("sources", nargs="+", metavar="SOURCE",
                       help="brick folders, or folders of brick folders")
    build.add_argument("--out", type=Path, required=True, metavar="DIR")
    build.add_argument("--no-screenshots", action="store_true",
                       help="do not render simulator screenshots for bricks without photos")
    build.add_argument("--run-scenarios", action="store_true",
                       help="run each brick's scenarios and show passing/failing on its card")
    build.add_argument("--git", metavar="URL",
                       help="the shared git repository the SOURCES are a clone of: the cards' "
                            "fork commands fetch from it (git+URL#subdirectory=…)")
    build.set_defaults(func=cmd_catalog_build)


def _help(parser: argparse.ArgumentParser) -> Any:
    """A command without its ACTION: its own help, and the usage exit code."""
    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return EXIT_USAGE

    return show


def _fail(message: str) -> int:
    print(f"museokit: {message}", file=sys.stderr)
    return EXIT_FAILED


# -- check ----------------------------------------------------------------------------

def check_brick(path: str) -> int | None:
    """`museokit check` on a brick: its manifest (and its own [[uses]]).

    Returns an exit code when the check is over (a problem, or a brick that is not an
    installation), None when the installation file should be checked next.
    """
    from museokit.bricks import manifest

    file = manifest.find(path)
    if not file.is_file():
        return None
    from museokit.bricks.uses import check_uses
    from museokit.cli_support import print_issues

    try:
        m = manifest.load(file)
    except manifest.ManifestError as exc:
        print_issues(exc.issues)
        return EXIT_FAILED
    issues = check_uses(m.file, m.uses, m.name)
    if issues:
        print_issues(issues)
        return EXIT_FAILED
    print(f"{m.file}: OK — brick {m.name} {m.version} ({m.kind}, {m.license}), "
          f"{len(m.parts)} parts, {len(m.content)} content licences")
    return None if m.kind == "installation" else EXIT_OK


# -- new --from -----------------------------------------------------------------------

def cmd_fork(args: argparse.Namespace) -> int:
    from museokit.bricks.fork import ForkError, fork

    try:
        done = fork(args.source, Path(args.path), getattr(args, "author", None))
    except ForkError as exc:
        return _fail(str(exc))
    o = done.original
    print(f"forked {o.name} {o.version} ({o.hash[:19]}…) into {done.target}/ as {done.name} 0.1.0: "
          f"{done.files} files; the original authors are kept as credits")
    if not (done.target / "installation.toml").is_file():
        print(f"next: museokit check {done.target}")
        return EXIT_OK
    from museokit.bricks.scenarios import run_scenarios

    ok, report = run_scenarios(done.target)
    for line in report:
        print(line)
    if not ok:
        print(f"museokit: the fork is kept in {done.target}, but its scenarios fail (above): fix "
              f"them, then `museokit sim {done.target} --scenario {done.target}/scenarios`",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"next: museokit sim {done.target}   then: museokit brick pack {done.target}")
    return EXIT_OK


# -- brick score / pack / sheet -------------------------------------------------------------

def cmd_score(args: argparse.Namespace) -> int:
    from museokit.bricks.score import score

    card = score(Path(args.path), run=not args.no_scenarios)
    for line in card.lines():
        print(line)
    return EXIT_OK if card.full else EXIT_FAILED


def cmd_pack(args: argparse.Namespace) -> int:
    from museokit.bricks import manifest
    from museokit.bricks.pack import PackError, pack
    from museokit.cli_support import print_issues

    try:
        built = pack(Path(args.path), args.out)
    except manifest.ManifestError as exc:
        print_issues(exc.issues)
        return EXIT_FAILED
    except PackError as exc:
        return _fail(str(exc))
    for path in built:
        print(f"built {path}")
    wheel = next(p for p in built if p.suffix == ".whl")
    print(f"install it: pip install {wheel}   then: museokit bricks")
    return EXIT_OK


def cmd_sheet(args: argparse.Namespace) -> int:
    from museokit.bricks import manifest
    from museokit.bricks.sheet import SheetError, write_sheet
    from museokit.cli_support import print_issues

    try:
        html, svg = write_sheet(Path(args.path), args.out)
    except manifest.ManifestError as exc:
        print_issues(exc.issues)
        return EXIT_FAILED
    except SheetError as exc:
        return _fail(str(exc))
    print(f"wrote {html} and {svg}: open it in a browser and print it (A4)")
    return EXIT_OK


# -- bricks / catalog -----------------------------------------------------------------------

def cmd_bricks(args: argparse.Namespace) -> int:
    from museokit.bricks.catalog import CatalogError, listing

    try:
        found = 0
        for line in listing(args.term, args.index):
            print(line, flush=found == 0)
            found += 1
    except CatalogError as exc:
        return _fail(str(exc))
    if not found:
        print(f"no brick matches {args.term!r}" if args.term else "no bricks installed",
              file=sys.stderr)
    return EXIT_OK


def cmd_catalog_build(args: argparse.Namespace) -> int:
    from museokit.bricks.catalog import CatalogError, build_site

    try:
        site = build_site([Path(s) for s in args.sources], args.out,
                          screenshots=not args.no_screenshots, run_scenarios=args.run_scenarios,
                          git=args.git)
    except CatalogError as exc:
        return _fail(str(exc))
    for line in site.notes:
        print(f"  note: {line}")
    print(f"wrote {site.index} and {site.page}: {site.count} bricks; open the page in a browser "
          "or copy the folder to any static host")
    return EXIT_OK
