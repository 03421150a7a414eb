"""The device reference, written from the kinds' own declarations.

Each device class already says what it is: `summary`, `pins`, `options` (type,
default, range, help), `events`, `@command` methods, `sim_actions`, and how to
wire it per backend (`wiring`, with each backend's own `Backend.wiring` line and
the `signals` a backend must offer). This module turns that into Markdown:

    museokit explain button                          # one kind, in the terminal
    museokit explain --all                           # every installed kind
    python -m museokit.reference docs/devices.md     # museokit's own kinds, the docs file

`tests/test_explain.py` fails when docs/devices.md differs from what this writes.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

from museokit.core import plugins
from museokit.core.backend import Backend
from museokit.core.device import Device
from museokit.core.options import Option
from museokit.core.suggest import suggest

DIST = "museokit"
#: Backends in the order the reference lists them (others follow, by name).
BACKEND_ORDER = ("gpio", "serial", "sim", "mqtt")
#: BCM pins for generated examples, one per pin key (all free of I2C, SPI and UART).
EXAMPLE_PINS = (17, 27, 22)
REGENERATE = "python -m museokit.reference docs/devices.md"

HEADER = f"""\
# Device kinds

Every `kind` an installation file can use, written from the device classes' own
declarations (options, events, commands, wiring): `museokit explain KIND` prints
the same for one kind. Generated — do not edit; run `{REGENERATE}`.
Events of every kind also include `offline` and `online` (the hardware or its node
went away or came back). In a behaviour: `from museokit.installation import door`, then
`@on("door.pressed")` or `door.when_pressed = fn`, and commands are methods
(`lamp.blink(n=3)`); in a rule: `when = "door.pressed"`, `do = "lamp.blink n=3"`.
"""


class UnknownKind(LookupError):
    """No installed device kind has this name; the message suggests the nearest."""


def kinds(dist: str | None = None) -> dict[str, EntryPoint]:
    """Installed device kinds by name (only those from distribution `dist`, if given)."""
    found = plugins.registered(plugins.DEVICES)
    return {name: ep for name, ep in sorted(found.items())
            if dist is None or (ep.dist is not None and ep.dist.name == dist)}


def explain(kind: str) -> str:
    """The Markdown section of one kind; raises UnknownKind with a suggestion."""
    known = kinds()
    if kind not in known:
        hint = suggest(kind, known) or f"kinds: {', '.join(known)}"
        raise UnknownKind(f"no device kind {kind!r} — {hint}")
    return section(kind, known[kind])


def document(dist: str | None = DIST) -> str:
    """The whole reference: the header, an index and one section per kind."""
    found = kinds(dist)
    index = [f"- [`{name}`](#{name}): {_load(ep).summary}" for name, ep in found.items()]
    parts = [HEADER, "\n".join(index) + "\n", *(section(n, ep) for n, ep in found.items())]
    return "\n".join(parts)


def section(kind: str, ep: EntryPoint) -> str:
    cls = _load(ep)
    dist = ep.dist.name if ep.dist else "?"
    pins = ", ".join(f"`{p}`" for p in cls.pins) or "none"
    lines = [f"## {kind}", "", cls.summary or "(no summary)", "",
             f"{cls.role.capitalize()} · pins: {pins} · `{ep.value}` (package {dist})", ""]
    lines += _options(cls)
    lines += _events(cls)
    lines += _commands(cls, _example_id(cls, kind))
    lines += _reads(cls)
    lines += _wiring(cls)
    lines += ["### Example", "", "```toml", example(cls, kind).rstrip(), "```", ""]
    return "\n".join(lines)


def _options(cls: type[Device]) -> list[str]:
    if not cls.options:
        return ["No options.", ""]
    rows = ["### Options", "", "| option | default | type and range | what it does |", "|---|---|---|---|"]
    for name, opt in cls.options.items():
        rows.append(f"| `{name}` | {_default(opt)} | {_cell(opt.expected())} | {_cell(opt.help)} |")
    return [*rows, ""]


def _events(cls: type[Device]) -> list[str]:
    events = ", ".join(f"`{e}`" for e in cls.events) or "none of its own"
    return ["### Events", "", events, ""]


def _commands(cls: type[Device], dev_id: str) -> list[str]:
    if not cls.commands:
        return []
    rows = ["### Commands", "", "| command | what it does |", "|---|---|"]
    for name in sorted(cls.commands):
        method = cls.commands[name]
        rows.append(f"| `{dev_id}.{name}({_signature(method)})` | {_cell(_first_line(method))} |")
    return [*rows, ""]


def _reads(cls: type[Device]) -> list[str]:
    """The kind's own read properties (gpiozero vocabulary: `is_pressed`, `value`...)."""
    names = sorted({name for klass in cls.__mro__ if issubclass(klass, Device)
                    and klass is not Device for name, member in vars(klass).items()
                    if isinstance(member, property) and not name.startswith("_")})
    if not names:
        return []
    return ["### Reads", "", ", ".join(f"`{name}`" for name in names), ""]


def _wiring(cls: type[Device]) -> list[str]:
    lines = ["### Wiring", ""]
    if not cls.pins:
        lines += [f"- **{where}**: {note}" for where, note in cls.wiring.items()]
        lines.append("- **sim**: " + _sim_note(cls))
        return [*lines, ""]
    for name, backend in _backends():
        if backend is None:
            lines.append(f"- **{name}**: not installed here (its extra is missing)")
            continue
        missing = _missing_signals(cls, backend)
        if name == "sim":
            note = _sim_note(cls)
        elif missing:
            note = f"not available: the {name} backend has no {', '.join(missing)} " + (
                "inputs" if cls.role == "input" else "outputs")
        else:
            note = cls.wiring.get(name) or backend.wiring
        lines.append(f"- **{name}**: {note}")
    return [*lines, ""]


def _sim_note(cls: type[Device]) -> str:
    if cls.sim_actions:
        acts = ", ".join(f"`{a}`" for a in cls.sim_actions)
        return (f"`museokit sim` plays it: its control in the window, or the typed action "
                f"{acts} (`help` there shows how)")
    return "`museokit sim` shows its state and runs its commands typed as `id.command args`"


def _missing_signals(cls: type[Device], backend: type[Backend]) -> list[str]:
    """Signals `cls` needs that `backend` lacks (none for a backend that opens no channels
    of its own, like mqtt, which reaches the device on another node)."""
    offered = backend.input_signals if cls.role == "input" else backend.output_signals
    if not backend.input_signals and not backend.output_signals:
        return []
    return [f"`{s}`" for s in cls.signals if s not in offered]


def _backends() -> list[tuple[str, type[Backend] | None]]:
    names = sorted(plugins.registered(plugins.BACKENDS),
                   key=lambda n: (BACKEND_ORDER.index(n) if n in BACKEND_ORDER else 99, n))
    found: list[tuple[str, type[Backend] | None]] = []
    for name in names:
        try:
            found.append((name, plugins.load(plugins.BACKENDS, name)))
        except plugins.PluginError:
            found.append((name, None))
    return found


def example(cls: type[Device], kind: str) -> str:
    """A minimal installation file with one device of this kind."""
    if cls.example:
        return cls.example
    lines = ["[[devices]]", f'id = "{kind}"', f'kind = "{kind}"']
    lines += [f"{key} = {pin}" for key, pin in zip(cls.pins, EXAMPLE_PINS, strict=False)]
    return "\n".join(lines) + "\n"


def _example_id(cls: type[Device], kind: str) -> str:
    """The device id the example uses (the kind's name when generated)."""
    found = re.search(r'^id = "([a-z][a-z0-9_]*)"', cls.example, re.MULTILINE)
    return found.group(1) if found else kind


def _load(ep: EntryPoint) -> type[Device]:
    cls: type[Device] = plugins.load(plugins.DEVICES, ep.name)
    return cls


def _signature(method: Callable[..., Any]) -> str:
    parts = []
    for p in list(inspect.signature(method).parameters.values())[1:]:
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        else:
            parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


def _first_line(method: Callable[..., Any]) -> str:
    doc = inspect.getdoc(method) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def _default(opt: Option) -> str:
    return "(none)" if opt.default is None else f"`{_toml(opt.default)}`"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def explain_command(kind: str | None, everything: bool) -> int:
    """`museokit explain [KIND | --all]`; returns the exit code."""
    try:
        if everything:
            sys.stdout.write(document(dist=None))
        elif kind is None:
            width = max(map(len, kinds()), default=0)
            for name, ep in kinds().items():
                print(f"{name:<{width}}  {_load(ep).summary}")
            print("`museokit explain KIND` shows one; `--all` every one, as Markdown")
        else:
            sys.stdout.write(explain(kind))
    except (UnknownKind, plugins.PluginError) as exc:
        print(f"museokit explain: {exc.args[0]}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m museokit.reference [FILE]`: write the reference to FILE (or print it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = document()
    if not args:
        sys.stdout.write(text)
        return 0
    Path(args[0]).write_text(text, encoding="utf-8")
    print(f"wrote {args[0]} ({len(kinds(DIST))} kinds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
