"""`museokit brick sheet PATH`: a printable page to tape inside the plinth.

Drawn from `installation.toml` (never from a second copy of the wiring): each
board's header (the Raspberry Pi's 40 pins, an Arduino Uno's headers), a wire per
connection labelled with its pin, colour and part; the parts list with its total
cost; the power budget per rail (3.3 V, 5 V) with a warning when a rail is
exceeded; credits and licences from `brick.toml`. Writes `sheet.html` (A4, prints
from any browser) and `wiring.svg`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from museokit.bricks import manifest
from museokit.core.pins import BOARD_TO_BCM, PinRef

#: The Pi's header: physical pin -> label, for the pins that are not GPIOs.
PI_POWER = {1: "3V3", 17: "3V3", 2: "5V", 4: "5V", 6: "GND", 9: "GND", 14: "GND", 20: "GND",
            25: "GND", 30: "GND", 34: "GND", 39: "GND"}
BCM_TO_BOARD = {bcm: board for board, bcm in BOARD_TO_BCM.items()}
#: The Uno's headers as printed on the board: digital (top) and power + analog (bottom).
UNO_DIGITAL = ["AREF", "GND", *[f"D{n}" for n in range(13, -1, -1)]]
UNO_POWER = ["IOREF", "RESET", "3V3", "5V", "GND", "GND", "VIN", *[f"A{n}" for n in range(6)]]

#: What each rail can give to the parts, in mA, and why.
BUDGETS = {
    "pi": {"3v3": (500, "the Pi's 3.3 V pins (1, 17) and its GPIOs share its regulator"),
           "5v": (1000, "pins 2 and 4 come straight from the supply: with the official 3 A "
                        "supply, about 1 A is left after a Pi 4 and its USB devices")},
    "uno": {"3v3": (50, "the Uno's 3.3 V pin"),
            "5v": (400, "powered over USB (500 mA), minus the Uno itself")},
}
#: Typical current of a device kind when the parts list does not say: (mA, rail), per unit.
TYPICAL = {"button": (0, "3v3"), "motion": (0.1, "5v"), "distance": (15, "5v"), "led": (10, "3v3"),
           "rgb_led": (30, "3v3"), "pixels": (20, "5v"), "relay": (70, "5v"), "servo": (250, "5v"),
           "buzzer": (30, "3v3"), "analog": (1, "3v3"), "tag_reader": (50, "3v3")}
#: Kinds that need a supply wire from the header (the rest: signal and ground).
POWERED = {"motion": "5v", "distance": "5v", "relay": "5v", "pixels": "5v", "servo": "5v",
           "tag_reader": "3v3", "analog": "3v3"}
SIGNAL_COLOURS = ["yellow", "green", "blue", "purple", "orange", "white", "brown", "grey", "cyan",
                  "pink"]
CSS_COLOURS = {"red": "#d22", "black": "#222", "orange": "#f80", "yellow": "#e6c200",
               "green": "#2a2", "blue": "#26c", "purple": "#83c", "white": "#bbb",
               "brown": "#852", "grey": "#888", "cyan": "#0bb", "pink": "#e6a"}


class SheetError(Exception):
    """The sheet cannot be drawn; the message says why."""


@dataclass
class Wire:
    board: str
    pin: str  # header label: "GPIO17", "D2", "5V", "GND"
    physical: int | None  # the Pi's header pin number
    colour: str
    to: str  # the device's end: "signal", "VCC", "GND", "TRIG"...


@dataclass
class Hookup:
    device: str
    kind: str
    part: str
    wires: list[Wire] = field(default_factory=list)


@dataclass
class Rail:
    board: str
    name: str
    budget: float
    why: str
    loads: list[tuple[str, float]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(ma for _, ma in self.loads)

    @property
    def over(self) -> bool:
        return self.total > self.budget


def write_sheet(folder: Path, out: Path | None = None) -> tuple[Path, Path]:
    """Write sheet.html and wiring.svg for the installation in `folder`."""
    from museokit.core.config import InstallationError, load_installation

    try:
        inst = load_installation(folder)
    except InstallationError as exc:
        raise SheetError(f"{exc.issues[0]} (`museokit check {folder}` lists every problem)") from None
    m = manifest.load(folder) if (folder / manifest.FILENAME).is_file() else None
    hookups = wiring(inst, m)
    rails = power(inst, m, hookups)
    out = out or Path(f"{m.name if m else folder.resolve().name}-sheet")
    out.mkdir(parents=True, exist_ok=True)
    svg = svg_of(hookups, inst.name)
    (out / "wiring.svg").write_text(svg, encoding="utf-8")
    (out / "sheet.html").write_text(html_of(inst.name, m, hookups, rails, svg), encoding="utf-8")
    return out / "sheet.html", out / "wiring.svg"


def _board_of(inst: Any, device: Any, ref: PinRef) -> str:
    """"pi" for the Pi's own header ("pi@entrance": the Pi of node entrance), else the
    microcontroller's board name."""
    if ref.board != "pi":
        return ref.board
    return f"pi@{inst.node_of(device)}" if inst.nodes else "pi"


def is_pi(board: str) -> bool:
    return board == "pi" or board.startswith("pi@")


def wiring(inst: Any, m: manifest.Manifest | None) -> list[Hookup]:
    parts = {p.device: p for p in (m.parts if m else []) if p.device}
    hookups: list[Hookup] = []
    colours = iter(SIGNAL_COLOURS * 10)
    for d in inst.devices:
        if not d.pins:
            continue
        part = parts.get(d.id)
        own_supply = part is not None and part.rail == "external"
        name = part.part if part else d.kind
        if own_supply and "supply" not in name:
            name += " (own supply)"
        h = Hookup(d.id, d.kind, name)
        board = _board_of(inst, d, next(iter(d.pins.values())))
        if board.lower() in ("mcp3008", "mcp3004", "mcp3208", "mcp3204"):
            ch = next(iter(d.pins.values())).name
            h.wires.append(Wire(board, ch, None, next(colours), "signal (ADC channel)"))
            hookups.append(h)
            continue
        rail = None if own_supply else POWERED.get(d.kind)
        if rail:
            label = "5V" if rail == "5v" else "3V3"
            h.wires.append(Wire(board, label, (2 if rail == "5v" else 1) if is_pi(board) else None,
                                "red" if rail == "5v" else "orange", "VCC"))
        for key, ref in d.pins.items():
            physical = BCM_TO_BOARD.get(int(ref.name[4:])) if is_pi(board) else None
            h.wires.append(Wire(board, ref.name, physical, next(colours),
                                "signal" if key == "pin" else key.upper()))
        h.wires.append(Wire(board, "GND", _nearest_ground(h.wires) if is_pi(board) else None,
                            "black", "GND"))
        hookups.append(h)
    return hookups


def _nearest_ground(wires: list[Wire]) -> int:
    signal = next((w.physical for w in wires if w.physical and w.pin.startswith("GPIO")), 1)
    grounds = [p for p, label in PI_POWER.items() if label == "GND"]
    return min(grounds, key=lambda g: (abs(g - signal), g))


def power(inst: Any, m: manifest.Manifest | None, hookups: list[Hookup]) -> list[Rail]:
    """Each rail's loads: the parts list's current_ma where given, else a kind's typical draw."""
    boards = {w.board for h in hookups for w in h.wires}
    kinds = {d.id: d for d in inst.devices}
    rails: dict[tuple[str, str], Rail] = {}
    for board in sorted(boards):
        family = "pi" if is_pi(board) else "uno"
        if board.lower().startswith("mcp"):
            continue
        for name, (budget, why) in BUDGETS[family].items():
            rails[(board, name)] = Rail(board, name, budget, why)
    board_of = {h.device: h.wires[0].board for h in hookups if h.wires}
    listed = set()
    for p in (m.parts if m else []):
        if p.rail == "external":
            listed.add(p.device)
        if p.current_ma is None or p.rail not in ("3v3", "5v"):
            continue
        board = board_of.get(p.device, "pi" if ("pi", p.rail) in rails else min(boards, default="pi"))
        rail = rails.get((board, p.rail))
        if rail is not None:
            rail.loads.append((f"{p.qty} × {p.part}", p.current_ma * p.qty))
            listed.add(p.device)
    for h in hookups:
        if h.device in listed or h.kind not in TYPICAL:
            continue
        ma, rail_name = TYPICAL[h.kind]
        count = int(kinds[h.device].options.get("count", 1)) if h.kind == "pixels" else 1
        rail = rails.get((board_of.get(h.device, "pi"), rail_name))
        if rail is not None and ma:
            rail.loads.append((f"{h.device} ({h.kind}{f', {count} pixels' if count > 1 else ''}, "
                               "typical)", ma * count))
    return list(rails.values())


# -- drawing ----------------------------------------------------------------------------

def _header_pins(board: str, used: set[str]) -> list[tuple[str, str, int, int]]:
    """(key, label, column, row) of each pin to draw on `board`'s header."""
    if is_pi(board):
        pins = []
        for n in range(1, 41):
            label = PI_POWER.get(n) or f"GPIO{BOARD_TO_BCM[n]}"
            pins.append((f"{board}:{n}", f"{label}", (n - 1) % 2, (n - 1) // 2))
        return pins
    return ([(f"{board}:{p}", p, 0, i) for i, p in enumerate(UNO_DIGITAL)]
            + [(f"{board}:{p}#{i}", p, 1, i) for i, p in enumerate(UNO_POWER)])


def _pin_key(w: Wire, board_pins: list[tuple[str, str, int, int]]) -> str:
    if is_pi(w.board) and w.physical:
        return f"{w.board}:{w.physical}"
    match = next((k for k, label, _, _ in board_pins if label == w.pin), None)
    return match or ""


def svg_of(hookups: list[Hookup], title: str) -> str:
    boards = sorted({w.board for h in hookups for w in h.wires if not w.board.lower().startswith("mcp")})
    step, top = 18, 60
    box_h = [30 + 16 * len(h.wires) for h in hookups]
    height = max(top + 20 * step + 40, top + sum(box_h) + 20 * len(hookups) + 20) * max(1, len(boards))
    width = 1000
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<text x="20" y="24" font-size="16" font-weight="bold">{escape(title)} — wiring</text>']
    y_board = 0
    for board in boards or ["pi"]:
        pins = _header_pins(board, set())
        rows = 20 if is_pi(board) else len(UNO_DIGITAL)
        x0, y0 = 200, y_board + top
        node = f" of node {board[3:]}" if board.startswith("pi@") else ""
        name = f"Raspberry Pi{node}: 40-pin header (pin 1 top left)" if is_pi(board) else \
            f"board {board!r} (Arduino Uno): digital header │ power + analog header"
        header = [f'<text x="{x0 - 150}" y="{y0 - 14}" font-weight="bold">{escape(name)}</text>',
                  f'<rect x="{x0 - 12}" y="{y0 - 10}" width="44" height="{rows * step + 2}" '
                  'fill="#1f5f2f" rx="4"/>']
        where: dict[str, tuple[int, int]] = {}
        for key, label, col, row in pins:
            x, y = x0 + col * 20, y0 + row * step
            where[key] = (x, y)
            fill = "#d22" if label == "5V" else "#f80" if label == "3V3" else \
                "#222" if label == "GND" else "#ddd"
            header.append(f'<circle cx="{x}" cy="{y}" r="6" fill="{fill}" stroke="#fff"/>')
            num = f"{int(key.split(':')[1])} " if is_pi(board) else ""
            tx, anchor = (x - 14, "end") if col == 0 else (x + 14, "start")
            header.append(f'<text x="{tx}" y="{y + 4}" text-anchor="{anchor}" stroke="#fff" '
                          f'stroke-width="3" paint-order="stroke">{escape(num + label)}</text>')
        y = y0
        for h in (h for h in hookups if h.wires and h.wires[0].board == board):
            bx, bh = 600, 30 + 16 * len(h.wires)
            out.append(f'<rect x="{bx}" y="{y}" width="390" height="{bh}" fill="#fff" '
                       'stroke="#555" rx="5"/>')
            part = h.part if len(h.part) <= 46 else h.part[:45] + "…"
            out.append(f'<text x="{bx + 8}" y="{y + 16}" font-weight="bold">{escape(h.device)} '
                       f'<tspan font-weight="normal">({escape(h.kind)}): {escape(part)}'
                       '</tspan></text>')
            for i, w in enumerate(h.wires):
                wy = y + 32 + 16 * i
                px, py = where.get(_pin_key(w, pins), (x0, y0))
                colour = CSS_COLOURS.get(w.colour, "#888")
                out.append(f'<path d="M{px} {py} C{px + 200} {py}, {bx - 200} {wy - 4}, {bx} {wy - 4}" '
                           f'stroke="{colour}" stroke-width="2.5" fill="none"/>')
                pin = f"{w.pin} (pin {w.physical})" if w.physical else w.pin
                out.append(f'<text x="{bx + 8}" y="{wy}">{escape(w.colour)} wire: {escape(pin)} → '
                           f'{escape(w.to)}</text>')
            y += bh + 20
        out += header  # drawn last: the pins and their names sit on top of the wires
        y_board += max(top + rows * step + 40, y - y_board)
    out.append("</svg>")
    return "\n".join(out)


def html_of(title: str, m: manifest.Manifest | None, hookups: list[Hookup], rails: list[Rail],
            svg: str) -> str:
    currency = m.currency if m else "EUR"
    rows = "".join(f"<tr><td>{p.qty}</td><td>{escape(p.part)}</td><td>{escape(p.device)}</td>"
                   f"<td>{escape(p.note)}</td><td>{'' if p.cost is None else f'{p.cost * p.qty:.2f}'}"
                   "</td></tr>" for p in (m.parts if m else []))
    total = f"{m.total_cost:.2f} {escape(currency)}" if m else "—"
    power_rows = ""
    warnings = []
    for r in rails:
        label = f"{r.board} {'3.3 V' if r.name == '3v3' else '5 V'}"
        loads = "; ".join(f"{escape(n)}: {ma:g} mA" for n, ma in r.loads) or "nothing"
        state = "OVER" if r.over else "ok"
        power_rows += (f'<tr class="{state.lower()}"><td>{escape(label)}</td><td>{loads}</td>'
                       f"<td>{r.total:g} mA</td><td>{r.budget:g} mA</td><td>{state}</td></tr>")
        if r.over:
            warnings.append(f"{label} rail: {r.total:g} mA of {r.budget:g} mA ({r.why}) — power the "
                            "biggest load from its own supply, its ground joined to the board's")
    warn_html = "".join(f'<p class="warning">⚠ {escape(w)}</p>' for w in warnings)
    credits = ""
    if m:
        people = ", ".join(escape(a.name) for a in m.authors)
        made = ", ".join(escape(str(m.made[k])) for k in ("event", "museum", "place", "year")
                         if m.made.get(k))
        credits = (f"<p>By {people}{' — ' + made if made else ''}. Code: {escape(m.license)}.</p>"
                   + "".join(f"<p>{escape(c.name)} — {escape(c.what)}</p>" for c in m.credits)
                   + "".join(f"<p><code>{escape(', '.join(c.files))}</code>: {escape(c.license)}, "
                             f"{escape(c.credit)}</p>" for c in m.content)
                   + "".join(f"<p>Forked from {escape(f.name)} {escape(f.version)} ({escape(f.hash[:19])}…)"
                             "</p>" for f in m.forked_from))
    name = f"{m.name} {m.version}" if m else title
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(name)} — brick sheet</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: sans-serif; font-size: 11pt; color: #111; }}
svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #999; padding: 2px 6px; }}
tr.over td {{ background: #fdd; }} .warning {{ color: #a00; font-weight: bold; }}
h2 {{ break-after: avoid; }} section {{ break-inside: avoid; }}
</style></head><body>
<h1>{escape(name)}</h1>
<p>{escape(m.summary) if m else ''}</p>
<section><h2>Wiring</h2>
{svg}
</section>
<section><h2>Parts</h2>
<table><tr><th>qty</th><th>part</th><th>device</th><th>note</th><th>cost ({escape(currency)})</th></tr>
{rows}<tr><th></th><th>total</th><th></th><th></th><th>{total}</th></tr></table></section>
<section><h2>Power budget</h2>
<table><tr><th>rail</th><th>loads</th><th>total</th><th>budget</th><th></th></tr>{power_rows}</table>
{warn_html or '<p>Every rail is within its budget.</p>'}</section>
<section><h2>Credits and licences</h2>{credits or '<p>No brick.toml: no credits recorded.</p>'}</section>
</body></html>
"""
