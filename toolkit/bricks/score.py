"""`museokit brick score PATH`: a scorecard, like the Node-RED flow library's, each gap with its fix.

    hello-button 1.0.0: 8/8
      ✓ manifest     brick.toml is valid
      ✓ licence      code MIT; content CC0-1.0
      …
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from museokit.bricks import manifest


@dataclass(frozen=True)
class Point:
    name: str
    met: bool
    detail: str
    fix: str = ""


@dataclass
class Card:
    title: str
    points: list[Point] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(p.met for p in self.points)

    @property
    def full(self) -> bool:
        return bool(self.points) and self.score == len(self.points)

    def lines(self) -> list[str]:
        out = [f"{self.title}: {self.score}/{len(self.points)}"
               + (" — full marks" if self.full else "")]
        for p in self.points:
            out.append(f"  {'✓' if p.met else '✗'} {p.name:<10} {p.detail}"
                       + ("" if p.met or not p.fix else f" — fix: {p.fix}"))
        return out

    def as_dict(self) -> dict[str, object]:
        return {"score": self.score, "of": len(self.points),
                "points": [{"name": p.name, "met": p.met, "detail": p.detail} for p in self.points]}


def score(folder: Path, run: bool = True) -> Card:
    """The brick's scorecard; `run=False` skips running its scenarios (counted as unknown)."""
    try:
        m = manifest.load(folder)
    except manifest.ManifestError as exc:
        card = Card(f"{folder}")
        card.points.append(Point("manifest", False, f"{len(exc.issues)} problems: {exc.issues[0]}",
                                 f"`museokit check {folder}` lists them all"))
        return card
    card = Card(f"{m.name} {m.version}")
    card.points.append(Point("manifest", True, f"{manifest.FILENAME} is valid"))
    content = sorted({c.license for c in m.content})
    card.points.append(Point("licence", bool(m.license),
                             f"code {m.license}; content {', '.join(content) or 'none needed'}",
                             'add license = "MIT" to [brick]'))
    media = manifest.media_files(m.folder)
    card.points.append(Point("media", not m.uncovered_media(),
                             f"{len(media)} media file{'s' if len(media) != 1 else ''}, each under a "
                             "content licence" if media else "no media files",
                             "add [[content]] entries"))
    card.points.append(_readme(m))
    card.points.append(_scenarios(m, run))
    card.points.append(Point("version", m.version != "0.0.0", f"version {m.version}",
                             'set version = "0.1.0" or more'))
    card.points.append(Point("photos", bool(m.photos),
                             f"{len(m.photos)} picture{'s' if len(m.photos) != 1 else ''} "
                             "(photos or screenshots)" if m.photos else "no photo",
                             'add photos = ["screenshot.png"] to [brick]; ' + (
                                 f"`python -m museokit.sim.screenshots {m.folder} --out {m.folder}` "
                                 "renders the simulator" if m.kind == "installation" else
                                 "a photo or a screenshot of a piece that uses it")))
    if m.kind == "installation":
        costed = all(p.cost is not None for p in m.parts)
        card.points.append(Point("parts", bool(m.parts) and costed,
                                 f"{len(m.parts)} parts, about {m.total_cost:.0f} {m.currency}"
                                 if m.parts else "no parts list",
                                 "list [[parts]] with qty, part and cost (approximate) for each"))
    return card


def _readme(m: manifest.Manifest) -> Point:
    readme = next((m.folder / n for n in ("README.md", "README.rst", "README.txt", "README")
                   if (m.folder / n).is_file()), None)
    fix = "add README.md with a '## Wiring' section and a parts table (or '## Parts')"
    if readme is None:
        return Point("readme", False, "no README", fix)
    text = readme.read_text(encoding="utf-8", errors="replace")
    headings = " ".join(re.findall(r"^#+\s*(.+)$", text, flags=re.M)).lower()
    wiring = any(w in headings for w in ("wiring", "câblage", "cablage", "branchement"))
    parts = any(w in headings for w in ("parts", "bill of materials", "matériel", "materiel")) or bool(
        re.search(r"^\|[^\n]*\bparts?\b[^\n]*\|", text, flags=re.M | re.I))
    missing = [w for w, ok in (("wiring", wiring), ("parts", parts)) if not ok]
    return Point("readme", not missing,
                 f"{readme.name} with wiring and parts" if not missing
                 else f"{readme.name} lacks {' and '.join(missing)}", fix)


def _scenarios(m: manifest.Manifest, run: bool) -> Point:
    if m.kind != "installation":
        return Point("scenarios", True, f"a {m.kind} brick: tested by the installations that use it")
    files = sorted((m.folder / "scenarios").glob("*.scenario"))
    fix = (f"add scenarios/*.scenario (docs/scenarios.md), or record one: museokit sim {m.folder} "
           f"--record {m.folder}/scenarios/visit.scenario")
    if not files:
        return Point("scenarios", False, "no scenarios", fix)
    if not run:
        return Point("scenarios", False, f"{len(files)} scenarios, not run (--no-scenarios)",
                     "run without --no-scenarios")
    from museokit.bricks.scenarios import run_scenarios

    ok, report = run_scenarios(m.folder)
    failed = [line for line in report if "FAILED" in line or line.startswith("museokit:")]
    return Point("scenarios", ok, f"{len(files)} scenarios pass" if ok
                 else f"{len(files)} scenarios, failing: {'; '.join(failed or report)[:300]}",
                 f"museokit sim {m.folder} --scenario {m.folder}/scenarios shows why")
