"""Finding bricks: `museokit bricks [TERM] [--index FILE_OR_URL]` and `museokit catalog build`.

`catalog build SOURCES… --out DIR` writes a static site that works offline and on
any static host: `index.html` (a card per brick, searched in the page with no
server), a page per brick, the pictures, and `index.json`, which `museokit bricks
--index` reads (like the Arduino library index, over a shared git repository of
bricks). The site is built in a hidden sibling folder and swapped into place, so
a failed build leaves the previous one as it was.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from museokit.bricks import manifest
from museokit.core.uses import BRICKS, installed_folder

INDEX_FORMAT = 1
INDEX_TIMEOUT = 10


class CatalogError(Exception):
    """The catalog cannot be built or read; the message names the file and the fix."""


# -- museokit bricks ------------------------------------------------------------------------

def listing(term: str = "", indexes: list[str] | tuple[str, ...] = ()) -> Iterator[str]:
    """One line per installed or catalogued brick matching every word of `term`."""
    words = term.lower().split()
    width = 24
    for entry in installed():
        if _matches(entry, words):
            yield _line(entry, width, "installed")
    for source in indexes:
        for entry in read_index(source):
            if _matches(entry, words):
                yield _line(entry, width, f"catalog {source}")


def installed() -> Iterator[dict[str, Any]]:
    """Installed bricks, from their distributions' metadata (nothing of theirs is imported)."""
    for ep in sorted(entry_points(group=BRICKS), key=lambda e: e.name):
        dist = ep.dist
        if dist is not None and dist.name != "museokit":
            meta = dist.metadata
            version, summary = meta["Version"] or "?", meta["Summary"] or ""
            keywords = (meta["Keywords"] or "").replace(",", " ").split()
            kind = next((k.removeprefix("museokit-") for k in keywords
                         if k in ("museokit-installation", "museokit-behaviour", "museokit-device")), "")
            yield {"name": ep.name, "version": version, "kind": kind, "summary": summary,
                   "keywords": keywords, "from": f"{dist.name} {version}"}
            continue
        folder = installed_folder(ep.name)  # ships with museokit: read its manifest
        try:
            m = manifest.load(folder) if folder is not None else None
        except manifest.ManifestError:
            m = None
        if m is not None:
            yield {"name": m.name, "version": m.version, "kind": m.kind, "summary": m.summary,
                   "keywords": m.keywords, "from": "museokit"}


def installed_names() -> list[str]:
    return [ep.name for ep in entry_points(group=BRICKS)]


def shipped() -> set[str]:
    """The bricks that come with museokit itself."""
    return {ep.name for ep in entry_points(group=BRICKS)
            if ep.dist is not None and ep.dist.name == "museokit"}


def read_index(source: str) -> list[dict[str, Any]]:
    """The bricks of a catalog's index.json, from a file or an http(s) URL."""
    try:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=INDEX_TIMEOUT) as response:
                text = response.read().decode("utf-8")
        else:
            path = Path(source)
            text = (path / "index.json" if path.is_dir() else path).read_text(encoding="utf-8")
    except (OSError, urllib.error.URLError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read the index {source}: {exc} — give the index.json that "
                           "`museokit catalog build` wrote, or its URL") from None
    try:
        data = json.loads(text)
        bricks = data["bricks"]
        assert isinstance(bricks, list) and all(isinstance(b, dict) and "name" in b for b in bricks)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise CatalogError(f"{source} is not a museokit catalog index (no \"bricks\" list); "
                           "`museokit catalog build` writes one") from None
    return bricks


def _matches(entry: dict[str, Any], words: list[str]) -> bool:
    text = " ".join([entry.get("name", ""), entry.get("summary", ""), entry.get("kind", ""),
                     *entry.get("keywords", []), *entry.get("platforms", [])]).lower()
    return all(w in text for w in words)


def _line(entry: dict[str, Any], width: int, where: str) -> str:
    kind = entry.get("kind", "") or "?"
    return (f"{entry['name']:<{width}} {entry.get('version', '?'):<9} {kind:<12} "
            f"{entry.get('summary', '')}  [{entry.get('from') or where}]")


# -- museokit catalog build -----------------------------------------------------------------

@dataclass
class Site:
    out: Path
    count: int
    notes: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.out / "index.json"

    @property
    def page(self) -> Path:
        return self.out / "index.html"


def find_bricks(sources: list[Path]) -> list[Path]:
    """Brick folders in `sources`: each a brick, or a folder of bricks (two levels down)."""
    found: list[Path] = []
    for source in sources:
        if not source.is_dir():
            raise CatalogError(f"{source}: no such folder; give brick folders or folders of bricks")
        if (source / manifest.FILENAME).is_file():
            found.append(source)
            continue
        inside = sorted({p.parent for pattern in ("*/brick.toml", "*/*/brick.toml")
                         for p in source.glob(pattern)})
        if not inside:
            raise CatalogError(f"{source} holds no brick.toml (nor do its subfolders)")
        found += inside
    return found


def load_all(folders: list[Path]) -> list[manifest.Manifest]:
    bricks: list[manifest.Manifest] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], Path] = {}
    for folder in folders:
        try:
            m = manifest.load(folder)
        except manifest.ManifestError as exc:
            problems.append(str(exc.issues[0]))
            continue
        key = (m.name, m.version)
        if key in seen:
            raise CatalogError(f"two bricks are {m.name} {m.version}: {seen[key]} and {folder} — "
                               "rename one, or raise its version")
        seen[key] = folder
        bricks.append(m)
    if problems:
        raise CatalogError(f"{len(problems)} brick(s) cannot be catalogued: {problems[0]}"
                           + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
                           + " — `museokit check FOLDER` lists every problem")
    return bricks


def build_site(sources: list[Path], out: Path, screenshots: bool = True,
               run_scenarios: bool = False, git: str | None = None) -> Site:
    """Write the catalog of the bricks in `sources` to `out`. With `git` (the address of the
    shared repository the sources are checked out from), each card's fork command fetches the
    brick from there."""
    bricks = load_all(find_bricks(sources))
    fetch = _git_sources(bricks, git) if git else {}
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        notes = _write(bricks, staging, screenshots, run_scenarios, fetch)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Site(out, len(bricks), notes)


def _swap(staging: Path, out: Path) -> None:
    old = None
    if out.exists():
        if not (out / "index.json").is_file() and any(out.iterdir()):
            raise CatalogError(f"{out} exists and is not a catalog (no index.json): nothing was "
                               "overwritten — give a new or empty folder")
        old = out.with_name(f".{out.name}.old-{time.time_ns()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _git_sources(bricks: list[manifest.Manifest], url: str) -> dict[str, str]:
    """Each brick's `--from` in the shared repository: git+URL#subdirectory=its/folder."""
    import subprocess

    found = {}
    tops: dict[Path, Path] = {}
    for m in bricks:
        parent = m.folder.resolve().parent
        if parent not in tops:
            done = subprocess.run(["git", "-C", str(parent), "rev-parse", "--show-toplevel"],
                                  capture_output=True, text=True, timeout=30)
            if done.returncode != 0:
                raise CatalogError(f"--git {url}: {m.folder} is not in a git checkout; build the "
                                   "catalog from a clone of the shared repository")
            tops[parent] = Path(done.stdout.strip()).resolve()
        rel = m.folder.resolve().relative_to(tops[parent]).as_posix()
        base = url if url.startswith("git+") else f"git+{url}"
        found[m.name] = base + (f"#subdirectory={rel}" if rel != "." else "")
    return found


def _write(bricks: list[manifest.Manifest], site: Path, screenshots: bool,
           run_scenarios: bool, fetch: dict[str, str]) -> list[str]:
    notes: list[str] = []
    (site / "img").mkdir()
    (site / "bricks").mkdir()
    assets = resources.files("museokit.bricks") / "site"
    for asset in ("catalog.css", "catalog.js"):
        (site / asset).write_text((assets / asset).read_text(encoding="utf-8"), encoding="utf-8")
    entries = [entry(m, site, screenshots, run_scenarios, notes, fetch.get(m.name)) for m in bricks]
    _lineage(entries)
    index = {"format": INDEX_FORMAT, "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "count": len(entries), "bricks": entries}
    (site / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    (site / "index.html").write_text(index_page(entries), encoding="utf-8")
    for e in entries:
        (site / e["page"]).write_text(brick_page(e), encoding="utf-8")
    return notes


def entry(m: manifest.Manifest, site: Path, screenshots: bool, run_scenarios: bool,
          notes: list[str], fetch: str | None = None) -> dict[str, Any]:
    """A brick as the index (and the pages) describe it."""
    slug = f"{m.name}-{m.version}"
    image = _image(m, site, slug, screenshots, notes)
    scenarios = sorted((m.folder / "scenarios").glob("*.scenario"))
    status = "none" if not scenarios else "not run"
    if scenarios and run_scenarios:
        from museokit.bricks.scenarios import run_scenarios as run

        status = "passing" if run(m.folder)[0] else "failing"
    return {
        "name": m.name, "version": m.version, "kind": m.kind, "summary": m.summary,
        "description": m.description, "keywords": m.keywords, "license": m.license,
        "content_licenses": sorted({c.license for c in m.content}),
        "content": [{"files": list(c.files), "license": c.license, "credit": c.credit}
                    for c in m.content],
        "platforms": m.platforms, "museokit": m.museokit, "made": m.made,
        "authors": [a.name for a in m.authors], "credits": [
            {"name": c.name, "for": c.what} for c in m.credits],
        "parts": [{"qty": p.qty, "part": p.part, "note": p.note, "cost": p.cost} for p in m.parts],
        "total_cost": round(m.total_cost, 2), "currency": m.currency,
        "forked_from": [{"name": f.name, "version": f.version, "hash": f.hash}
                        for f in m.forked_from],
        "uses": [{"brick": u.brick, "version": u.version} for u in m.dependencies()],
        "homepage": m.homepage, "repository": m.repository,
        "scenarios": {"count": len(scenarios), "status": status},
        "image": image, "page": f"bricks/{slug}.html",
        "fork": f"museokit new my-{m.name} --from {fetch or m.name}",
        "install": "# ships with museokit" if m.name in shipped() else
        "# from the shared repository" if fetch else f"pip install museokit-brick-{m.name}",
    }


def _image(m: manifest.Manifest, site: Path, slug: str, screenshots: bool,
           notes: list[str]) -> str:
    if m.photos:
        photo = m.folder / m.photos[0]
        rel = f"img/{slug}{photo.suffix.lower()}"
        shutil.copyfile(photo, site / rel)
        return rel
    if screenshots and m.kind == "installation":
        try:
            from museokit.sim.screenshots import render

            render(m.folder, site / f"img/{slug}.png")
            return f"img/{slug}.png"
        except Exception as exc:  # no pygame, or an installation that will not start
            notes.append(f"{m.name}: no screenshot ({type(exc).__name__}: {exc})")
    return ""


def _lineage(entries: list[dict[str, Any]]) -> None:
    """Who forked whom, inside the catalog: each brick's parents (linked when catalogued)
    and its forks."""
    pages = {e["name"]: e["page"] for e in entries}
    for e in entries:
        e["forks"] = sorted(other["name"] for other in entries
                            if other["forked_from"] and other["forked_from"][0]["name"] == e["name"])
        for parent in e["forked_from"]:
            parent["page"] = pages.get(parent["name"], "")
        for use in e["uses"]:
            use["page"] = pages.get(use["brick"], "")


# -- HTML ---------------------------------------------------------------------------------

def _money(value: float, currency: str) -> str:
    return f"{value:.0f} {escape(currency)}" if value == int(value) else f"{value:.2f} {escape(currency)}"


def _search_text(e: dict[str, Any]) -> str:
    return " ".join([e["name"], e["summary"], e["kind"], e["license"], *e["keywords"],
                     *e["platforms"], *e["content_licenses"], *e["authors"],
                     *(p["part"] for p in e["parts"])]).lower()


def _badges(e: dict[str, Any]) -> str:
    out = [f'<span class="badge code" title="code licence">{escape(e["license"])}</span>']
    out += [f'<span class="badge content" title="content licence">{escape(c)}</span>'
            for c in e["content_licenses"]]
    return "".join(out)


def _link(text: str, page: str, prefix: str) -> str:
    """A link to a brick's page when it is in the catalog, else its name."""
    return f'<a href="{prefix}{escape(page)}">{escape(text)}</a>' if page else escape(text)


def _lineage_html(e: dict[str, Any], prefix: str) -> str:
    if not e["forked_from"] and not e["forks"]:
        return '<p class="lineage">original work</p>'
    parts = []
    for f in e["forked_from"]:
        parts.append(_link(f"{f['name']} {f['version']}", f["page"], prefix))
    text = ("forked from " + " ← ".join(parts)) if parts else ""
    if e["forks"]:
        text += ("; " if text else "") + "forked as " + ", ".join(escape(n) for n in e["forks"])
    return f'<p class="lineage">{text}</p>'


def card(e: dict[str, Any]) -> str:
    image = (f'<img src="{escape(e["image"])}" alt="{escape(e["name"])}" loading="lazy">'
             if e["image"] else f'<div class="noimg">{escape(e["name"][:2].upper())}</div>')
    platforms = "".join(f"<li>{escape(p)}</li>" for p in e["platforms"])
    status = e["scenarios"]
    return f"""<article class="card" data-search="{escape(_search_text(e))}">
<a class="pic" href="{escape(e['page'])}">{image}</a>
<h2><a href="{escape(e['page'])}">{escape(e['name'])}</a> <small>{escape(e['version'])}</small>
<span class="kind">{escape(e['kind'])}</span></h2>
<p class="summary">{escape(e['summary'])}</p>
<ul class="platforms">{platforms}</ul>
<p class="parts">{len(e['parts'])} parts · about {_money(e['total_cost'], e['currency'])}</p>
<p class="badges">{_badges(e)}</p>
<p class="scenarios {escape(status['status'].replace(' ', '-'))}">scenarios: {status['count']} \
({escape(status['status'])})</p>
<pre class="fork"><code>{escape(e['install'])}
{escape(e['fork'])}</code></pre>
{_lineage_html(e, '')}
</article>"""


def _page(title: str, body: str, prefix: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{prefix}catalog.css">
</head><body>
{body}
</body></html>
"""


def index_page(entries: list[dict[str, Any]]) -> str:
    cards = "\n".join(card(e) for e in entries)
    body = f"""<header><h1>museokit bricks</h1>
<p>Find a brick, fork it: <code>museokit new my-piece --from NAME</code>.
Machine-readable: <a href="index.json">index.json</a>.</p>
<input id="search" type="search" placeholder="search: button, uno, CC-BY-4.0, projector…"
 aria-label="search the bricks" autofocus>
<p id="count" aria-live="polite">{len(entries)} bricks</p></header>
<main id="cards">
{cards}
</main>
<script src="catalog.js"></script>"""
    return _page("museokit bricks", body, "")


def brick_page(e: dict[str, Any]) -> str:
    prefix = "../"
    image = f'<img class="big" src="{prefix}{escape(e["image"])}" alt="{escape(e["name"])}">' \
        if e["image"] else ""
    parts = "".join(
        f"<tr><td>{p['qty']}</td><td>{escape(p['part'])}</td><td>{escape(p['note'])}</td>"
        f"<td>{'' if p['cost'] is None else _money(p['cost'] * p['qty'], e['currency'])}</td></tr>"
        for p in e["parts"])
    content = "".join(f"<li><code>{escape(', '.join(c['files']))}</code>: {escape(c['license'])} — "
                      f"{escape(c['credit'])}</li>" for c in e["content"])
    credits = "".join(f"<li>{escape(c['name'])}{' — ' + escape(c['for']) if c['for'] else ''}</li>"
                      for c in e["credits"])
    made = ", ".join(escape(str(e["made"][k])) for k in ("event", "museum", "place", "year")
                     if e["made"].get(k))
    uses = "".join(
        f"<li>{_link(u['brick'], u['page'], prefix)} {escape(u['version'] or '')}</li>" for u in e["uses"])
    links = "".join(f'<li><a rel="external" href="{escape(e[k])}">{k}</a></li>'
                    for k in ("homepage", "repository") if e[k])
    body = f"""<p><a href="{prefix}index.html">← all bricks</a></p>
<h1>{escape(e['name'])} <small>{escape(e['version'])}</small>
<span class="kind">{escape(e['kind'])}</span></h1>
{image}
<p class="summary">{escape(e['summary'])}</p>
<p class="badges">{_badges(e)}</p>
<p>Platforms: {escape(', '.join(e['platforms']))} · museokit {escape(e['museokit'])}</p>
<h2>Fork it</h2><pre class="fork"><code>{escape(e['install'])}
{escape(e['fork'])}</code></pre>
<h2>Parts</h2><table><tr><th>qty</th><th>part</th><th>note</th><th>cost</th></tr>{parts}
<tr><td></td><th>total</th><td></td><th>{_money(e['total_cost'], e['currency'])}</th></tr></table>
<h2>Who made it</h2><p>{escape(', '.join(e['authors']))}{' — ' + made if made else ''}</p>
{'<h3>Credits</h3><ul>' + credits + '</ul>' if credits else ''}
<h2>Content licences</h2><ul>{content or '<li>no media files</li>'}</ul>
<h2>Lineage</h2>{_lineage_html(e, prefix)}
{'<h2>Uses</h2><ul>' + uses + '</ul>' if uses else ''}
<p>Scenarios: {e['scenarios']['count']} ({escape(e['scenarios']['status'])})</p>
{'<ul class="links">' + links + '</ul>' if links else ''}"""
    return _page(f"{e['name']} {e['version']} — museokit bricks", body, prefix)
