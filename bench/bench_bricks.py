"""Bricks: fork an installed brick through its scenarios, list 50 installed bricks, build a
catalog of 200, and search it in headless chromium.

- `new --from` an installed brick (object-plinth, installed as pip would: its package
  folder plus a `*.dist-info` with the `museokit.bricks` entry point, on PYTHONPATH),
  through its scenarios passing, wall time of the command. Raw: `shutil.copytree` of the
  same folder followed by the same `museokit sim --scenario` run (copy by hand, then test).
  Target <= 5 s.
- `museokit bricks` with 50 installed bricks: time from spawn to the first line. Raw: a
  Python that scans `importlib.metadata.entry_points(group="museokit.bricks")` and prints
  the first name. Target <= 300 ms.
- `catalog build` of 200 generated bricks (each a manifest, an installation file and a
  photo), in-process. Raw: the same files written with tomllib, str.format and json (no
  checking, no pages per brick). Target <= 10 s.
- The page's search in chromium: `museokitSearch(term)` over the 200 cards, median of the
  terms' times (performance.now in the page). Raw: a bare filter of the cards' text with no
  DOM change. Target <= 50 ms.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import tomllib
import zlib
from pathlib import Path
from time import perf_counter_ns

from _common import Result, median, progress, report

ROOT = Path(__file__).resolve().parent.parent
MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
PLINTH = ROOT / "installations" / "object-plinth"
RUNS = 5
TERMS = ["uno", "led button", "cc-by-4.0", "brick-1", "projector pi5", "zzz", "sim", "piece 7"]


def install_like_pip(site: Path, folder: Path, name: str, version: str = "1.0.0") -> None:
    """What `pip install` of a packed brick leaves: the package and its dist-info."""
    from museokit.bricks import manifest
    from museokit.bricks.pack import distribution, package

    pkg = site / package(name)
    shutil.copytree(folder, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.avi"))
    (pkg / "__init__.py").write_text(manifest.PACKED_MARKER + "\n", encoding="utf-8")
    info = site / f"{package(name)}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.4\nName: {distribution(name)}\nVersion: {version}\n"
        f"Summary: bench brick {name}\nKeywords: museokit,museokit-brick,museokit-installation\n",
        encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[museokit.bricks]\n{name} = {package(name)}\n",
                                           encoding="utf-8")


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = perf_counter_ns()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{argv}: {done.stdout}{done.stderr}")
    return (perf_counter_ns() - t0) / 1e9


def first_line_ms(argv: list[str], env: dict[str, str]) -> float:
    t0 = perf_counter_ns()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    ms = (perf_counter_ns() - t0) / 1e6
    proc.stdout.read()
    proc.wait()
    if not line:
        raise RuntimeError(f"{argv}: no output")
    return ms


def bench_fork(tmp: Path) -> Result:
    site = tmp / "site-fork"
    install_like_pip(site, PLINTH, "bench-plinth")
    env = {**os.environ, "PYTHONPATH": str(site)}
    ours, raw = [], []
    for i in range(RUNS):
        ours.append(timed([MUSEOKIT, "new", f"fork{i}", "--from", "bench-plinth", "--author", "b"],
                          env, tmp))
        t0 = perf_counter_ns()
        shutil.copytree(site / "museokit_brick_bench_plinth", tmp / f"copy{i}")
        copy_s = (perf_counter_ns() - t0) / 1e9
        raw.append(copy_s + timed([MUSEOKIT, "sim", str(tmp / f"copy{i}"), "--scenario",
                                   str(tmp / f"copy{i}" / "scenarios")], env, tmp))
    return Result("new --from an installed brick, scenarios passing", median(ours), median(raw),
                  "s", 5.0, note="raw: shutil.copytree + the same `museokit sim --scenario`; "
                  "ours adds hashing, the manifest rewrite and the atomic rename")


def bench_list(tmp: Path) -> Result:
    site = tmp / "site-list"
    site.mkdir()
    template = ROOT / "toolkit" / "bricks" / "library" / "attract_loop"
    for i in range(50):
        install_like_pip(site, template, f"listed-{i:02d}")
    env = {**os.environ, "PYTHONPATH": str(site)}
    scan = ("from importlib.metadata import entry_points; "
            "print(sorted(e.name for e in entry_points(group='museokit.bricks'))[0], flush=True)")
    ours = [first_line_ms([MUSEOKIT, "bricks"], env) for _ in range(RUNS * 2)]
    raw = [first_line_ms([sys.executable, "-c", scan], env) for _ in range(RUNS * 2)]
    return Result("museokit bricks, 50 installed: first line", median(ours), median(raw), "ms",
                  300.0, note="raw: python -c scanning entry_points(group='museokit.bricks')")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([200, 180, 120]) * 16 for _ in range(10))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 10, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def generate(root: Path, count: int) -> None:
    png = tiny_png()
    kinds = ["button", "led", "motion", "relay"]
    for i in range(count):
        folder = root / f"brick-{i}"
        folder.mkdir(parents=True)
        (folder / "photo.png").write_bytes(png)
        kind = kinds[i % len(kinds)]
        (folder / "installation.toml").write_text(
            f'[[devices]]\nid = "d{i}"\nkind = "{kind}"\npin = {4 + i % 20}\n', encoding="utf-8")
        (folder / "brick.toml").write_text(f'''\
[brick]
name = "brick-{i}"
kind = "installation"
version = "1.{i % 7}.0"
summary = "Generated piece {i}: a {kind} that answers a visitor."
keywords = ["{kind}", "generated", "piece {i}"]
license = "{['MIT', 'Apache-2.0', 'GPL-3.0-or-later'][i % 3]}"
museokit = ">=0.1,<1"
platforms = ["{['pi4', 'pi5', 'uno'][i % 3]}", "sim"]
photos = ["photo.png"]

[[authors]]
name = "Team {i % 17}"

[[content]]
files = ["photo.png"]
license = "{['CC0-1.0', 'CC-BY-4.0', 'CC-BY-SA-4.0'][i % 3]}"
credit = "Photo: team {i % 17}"

[[parts]]
qty = 1
part = "{kind} part"
cost = {i % 13 + 1}
''' + (f'\n[[forked_from]]\nname = "brick-{i - 1}"\nversion = "1.0.0"\nhash = "sha256:{"0" * 64}"\n'
       if i % 5 == 4 else ""), encoding="utf-8")


def raw_catalog(sources: Path, out: Path) -> None:
    """The same output by hand: parse, copy the photo, format a card, dump the index."""
    out.mkdir()
    (out / "img").mkdir()
    card = ('<article class="card" data-search="{search}"><img src="{img}"><h2>{name}</h2>'
            '<p>{summary}</p></article>')
    cards, index = [], []
    for folder in sorted(sources.iterdir()):
        data = tomllib.loads((folder / "brick.toml").read_text(encoding="utf-8"))["brick"]
        img = f"img/{data['name']}.png"
        shutil.copyfile(folder / "photo.png", out / img)
        cards.append(card.format(search=data["summary"].lower(), img=img, name=data["name"],
                                 summary=data["summary"]))
        index.append(data)
    (out / "index.json").write_text(json.dumps({"bricks": index}), encoding="utf-8")
    (out / "index.html").write_text("<main>" + "\n".join(cards) + "</main>", encoding="utf-8")


def bench_catalog(tmp: Path) -> tuple[Result, Path]:
    from museokit.bricks.catalog import build_site

    sources = tmp / "generated"
    generate(sources, 200)
    ours, raw = [], []
    for i in range(3):
        t0 = perf_counter_ns()
        build_site([sources], tmp / f"site{i}", screenshots=False)
        ours.append((perf_counter_ns() - t0) / 1e9)
        t0 = perf_counter_ns()
        raw_catalog(sources, tmp / f"raw{i}")
        raw.append((perf_counter_ns() - t0) / 1e9)
    return Result("catalog build, 200 bricks", median(ours), median(raw), "s", 10.0,
                  note="raw: tomllib + str.format + json, no checks, no page per brick"), tmp / "site0"


def bench_search(site: Path) -> Result | None:
    if not Path("/usr/bin/chromium").exists():
        progress("no /usr/bin/chromium: search not measured")
        return None
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        tab = browser.new_page()
        tab.goto((site / "index.html").as_uri())
        ours: list[float] = []
        raw: list[float] = []
        for _ in range(RUNS):
            ours += tab.evaluate("""terms => terms.map(t => { const t0 = performance.now();
                for (let i = 0; i < 20; i++) { window.museokitSearch(t); }
                document.body.offsetHeight;  // the layout the hidden cards cause, included
                return (performance.now() - t0) / 20; })""", TERMS)
            raw += tab.evaluate("""terms => terms.map(t => { const t0 = performance.now();
                for (let i = 0; i < 20; i++) {
                  const cards = Array.from(document.querySelectorAll('.card'));
                  cards.filter(c => c.getAttribute('data-search').includes(t)).length; }
                return (performance.now() - t0) / 20; })""", TERMS)
        shown = tab.evaluate("window.museokitSearch('uno')")
        assert 0 < shown < 200, shown
        browser.close()
    return Result("catalog search in chromium, 200 cards", median(ours), median(raw), "ms", 50.0,
                  note="mean of 20 searches per term, median over terms; raw: querySelectorAll + "
                  "filter on the cards' text, no DOM change")


def run() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="museokit-bench-bricks-") as name:
        tmp = Path(name)
        progress("new --from an installed brick")
        results.append(bench_fork(tmp))
        progress("museokit bricks with 50 installed")
        results.append(bench_list(tmp))
        progress("catalog build of 200 bricks")
        result, site = bench_catalog(tmp)
        results.append(result)
        progress("search in chromium")
        search = bench_search(site)
        if search is not None:
            results.append(search)
    return results


if __name__ == "__main__":
    report("bricks (ratio = museokit / raw)", run())
