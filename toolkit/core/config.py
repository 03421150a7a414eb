"""The installation file, validated into typed objects before anything starts.

Every problem is collected (not just the first) and reported with the file, the
line, the key path, what was expected and, where a name is close to a known one,
a suggestion: `installation.toml:12: devices[1].kind: unknown kind 'buton' — did
you mean 'button'?`.

This module reads the file, checks its top level and its `[[devices]]`, and hands
each other part to the unit that lives beside what it checks: `nodes.py` (`[[nodes]]`,
`[broker]`), `pins.py` (pins), `backend.py` (a backend's own table), `device.py` (a
kind's options), `states.py`, `schedule.py` and `rules.py`. They all report through
one issue list (`museokit.core.report.Report`).
"""

from __future__ import annotations

import keyword
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museokit.core import plugins
from museokit.core.backend import Backend, read_settings
from museokit.core.device import Device, read_options
from museokit.core.events import NAME_RE
from museokit.core.logconfig import EvaluationConfig, LogConfig, parse_evaluation, parse_log
from museokit.core.nodes import (
    BrokerConfig,
    NodeConfig,
    check_broker,
    check_device_nodes,
    check_nodes,
)
from museokit.core.opsconfig import STAFF_TABLES, StaffConfig, parse_staff
from museokit.core.pins import BUS_PINS, PinCheck, PinRef
from museokit.core.report import KeyPath, Report, bounded, format_path
from museokit.core.rules import Action as Action
from museokit.core.rules import RuleCheck
from museokit.core.rules import RuleConfig as RuleConfig
from museokit.core.rules import parse_action as parse_action
from museokit.core.rules import parse_scalar as parse_scalar
from museokit.core.schedule import SCHEDULE_EVENTS, SCHEDULE_ID, Schedule, check_schedule
from museokit.core.states import STATES_ID, StateConfig, check_states
from museokit.core.suggest import suggest
from museokit.core.tomlmap import key_lines, line_of
from museokit.core.uses import UseConfig, parse_uses

FILENAME = "installation.toml"
DEFAULT_BEHAVIOUR = "behaviour.py"

#: Names a device id may not take: they are the behaviour API or Python keywords.
RESERVED_IDS = frozenset({STATES_ID, "installation", "on", "after", "every", "goto", "state",
                          "enter", "lockout", "device", "log", "command", "options", "event",
                          "print", "sim", SCHEDULE_ID})

_TOP_LEVEL = ("installation", "devices", "states", "rules", "options", "schedule", "nodes", "broker",
              "log", "evaluation", *STAFF_TABLES, "uses")
_INSTALLATION_KEYS = ("name", "site", "node", "backend", "behaviour", "description",
                      *(f"{bus}_pins_as_gpio" for bus in BUS_PINS))
_DEVICE_COMMON = ("id", "kind", "backend", "board", "label", "description", "node")


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int | None
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.path}:" if self.path else ""
        hint = f" — {bounded(self.hint)}" if self.hint else ""
        return f"{where}:{key} {bounded(self.message)}{hint}"


class InstallationError(Exception):
    """The installation cannot start; `issues` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class DeviceConfig:
    id: str
    kind: str
    cls: type[Device]
    backend: str | None = None
    board: str | None = None
    pins: dict[str, PinRef] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    line: int | None = None
    #: The node it is wired to; None: the lead node (`[installation] node`).
    node: str | None = None


@dataclass
class Installation:
    folder: Path
    file: Path
    name: str
    site: str
    node: str
    backend: str
    behaviour: Path | None
    devices: list[DeviceConfig]
    states: list[StateConfig]
    rules: list[RuleConfig]
    options: dict[str, Any]
    warnings: list[ConfigIssue] = field(default_factory=list)
    #: Each backend's own table (`[serial]`), checked, defaults not filled in.
    backend_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Opening hours (`[schedule]`); None: always open.
    schedule: Schedule | None = None
    #: `[[nodes]]`: the boxes the installation spans (empty: one box).
    nodes: list[NodeConfig] = field(default_factory=list)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    #: `[log]` and `[evaluation]` (the interaction log and its reports).
    log: LogConfig = field(default_factory=LogConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    #: `[dashboard]`, `[alerts]`, `[maintenance]` (museokit.core.opsconfig).
    staff: StaffConfig = field(default_factory=StaffConfig)
    #: `[[uses]]`: behaviour bricks run beside the behaviour module.
    uses: list[UseConfig] = field(default_factory=list)

    def device(self, device_id: str) -> DeviceConfig:
        return next(d for d in self.devices if d.id == device_id)

    def node_of(self, device: DeviceConfig) -> str:
        """The node a device is wired to."""
        return device.node or self.node

    def event_names(self) -> dict[str, tuple[str, ...]]:
        """Every device id (and `states`) with the events it can emit."""
        names = {d.id: d.cls.all_events() for d in self.devices}
        if self.states:
            names[STATES_ID] = tuple(s.name for s in self.states)
        if self.schedule is not None:
            names[SCHEDULE_ID] = SCHEDULE_EVENTS
        return names


def find_file(path: str | Path) -> Path:
    """Accept an installation folder or its installation.toml."""
    p = Path(path)
    return p / FILENAME if p.is_dir() else p


def load_installation(path: str | Path) -> Installation:
    """Read and check an installation; raises InstallationError listing every problem."""
    file = find_file(path)
    try:
        data = file.read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InstallationError([ConfigIssue(
            str(file), line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8 text in your editor; is it really the installation file?")]
        ) from None
    except FileNotFoundError:
        if Path(path).exists():
            hint = (f"{file.parent} has no {FILENAME}: is it the installation folder? "
                    "`museokit new FOLDER` starts one from a template")
        else:
            hint = f"no such folder; `museokit new {path}` starts an installation there"
        raise InstallationError([ConfigIssue(str(file), None, "", "file not found", hint)]) from None
    except OSError as exc:
        raise InstallationError([ConfigIssue(str(file), None, "", f"cannot read: {exc.strerror}",
                                             "check the file's permissions and the disk")]) from None
    return _Checker(file, text).run()


class _Checker(Report):
    """One installation file: the issue list every unit reports to, the top level, and the
    devices; each other part is checked by its own unit."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.text = text
        self.issues: list[ConfigIssue] = []
        self.warnings: list[ConfigIssue] = []
        self.lines: dict[KeyPath, int] = key_lines(text)
        #: Devices declared with a mistake already reported: rules naming them stay quiet.
        self.broken_ids: set[str] = set()
        #: Each device's options with defaults filled in, for checking rule commands.
        self.device_options: dict[str, dict[str, Any]] = {}
        #: Device id -> index of its [[devices]] table.
        self.device_index: dict[str, int] = {}
        self.default_backend = "gpio"
        self.default_named = False  # [installation] backend is written in the file
        #: Backend tables (`[serial]`) as given, and the classes of backends named in the file.
        self.backend_options: dict[str, dict[str, Any]] = {}
        self.backend_classes: dict[str, type[Backend] | None] = {}
        self.pins = PinCheck(self)

    # -- reporting ------------------------------------------------------------------
    def error(self, path: KeyPath, message: str, hint: str = "") -> None:
        self.issues.append(ConfigIssue(str(self.file), line_of(self.lines, path),
                                       format_path(path), message, hint))

    def warn(self, path: KeyPath, message: str, hint: str = "") -> None:
        self.warnings.append(ConfigIssue(str(self.file), line_of(self.lines, path),
                                         format_path(path), message, hint))

    def line(self, path: KeyPath) -> int | None:
        return line_of(self.lines, path)

    # -- the file -------------------------------------------------------------------
    def run(self) -> Installation:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            line = _line_from_toml_error(str(exc), self.text)
            raise InstallationError([ConfigIssue(str(self.file), line, "", f"not valid TOML: {exc}",
                                                 "check quotes, brackets and '=' on that line")]
                                    ) from None
        except RecursionError:
            raise InstallationError([ConfigIssue(
                str(self.file), _deepest_line(self.text), "", "values nested too deep to read",
                "an installation file needs a few levels of [ ] or { } at most: remove the extra "
                "brackets")]) from None
        backend_names = plugins.registered(plugins.BACKENDS)
        self.unknown_keys((), data, (*_TOP_LEVEL, *backend_names), "the installation file")
        head = self.section(data, "installation")
        folder = self.file.parent
        name = self.text_value(("installation",), head, "name", folder.resolve().name) or ""
        default_site = _slug(folder.resolve().name)
        site = self.text_value(("installation",), head, "site", default_site, slug=True) or ""
        nodes = check_nodes(self, data.get("nodes", []))
        lead = nodes[0].id if nodes else "main"
        node = self.text_value(("installation",), head, "node", lead, slug=True) or lead
        if nodes and node not in [n.id for n in nodes]:
            self.error(("installation", "node"), f"node {node!r} is not declared in [[nodes]]",
                       suggest(node, [n.id for n in nodes]) or
                       f"declared nodes: {', '.join(n.id for n in nodes)}")
        # The default is checked when it is used: the gpio backend may not be installed
        # on a laptop, where the simulator replaces it anyway.
        backend = self.text_value(("installation",), head, "backend", "gpio") or "gpio"
        if "backend" in head:
            self.check_backend(("installation", "backend"), backend)
        behaviour = self.behaviour(head, folder)
        self.unknown_keys(("installation",), head, _INSTALLATION_KEYS, "[installation]")
        self.default_backend, self.default_named = backend, "backend" in head
        for table in backend_names:
            if table in data and table not in _TOP_LEVEL:
                self.backend_table(table, data[table])

        devices = self.devices(data.get("devices", []))
        check_device_nodes(self, [(("devices", self.device_index[cfg.id], "node"), cfg.id, cfg.node)
                                  for cfg in devices], nodes)
        self.check_together(devices)
        broker = check_broker(self, self.section(data, "broker"))
        self.pins.bus_pins(head)
        self.check_steady_pulses(devices)
        states = check_states(self, data.get("states", []))
        schedule = None
        if "schedule" in data:
            schedule = check_schedule(self, self.section(data, "schedule"))
        known_ids = {d.id: d.cls for d in devices}
        rules = RuleCheck(self, known_ids, states, schedule is not None, self.broken_ids,
                          self.device_options).rules(data.get("rules", []))
        options = data.get("options", {})
        if not isinstance(options, dict):
            self.error(("options",), "expected a table: write [options]")
            options = {}
        if not devices and not self.issues:
            self.error(("devices",) if "devices" in data else (), "no devices: this installation "
                       "would start and do nothing",
                       'add a [[devices]] table, like [[devices]] id = "door" kind = "button" pin = 17 '
                       "(`museokit new FOLDER` starts from a template)")
        log_config = parse_log(self.section(data, "log"), lambda path, message, hint: self.error(
            ("log", *path), message, hint))
        evaluation = parse_evaluation(self.section(data, "evaluation"),
                                      {d.id: d.cls.all_events() for d in devices},
                                      lambda path, message, hint: self.error(
                                          ("evaluation", *path), message, hint))
        staff = parse_staff(data, lambda path, message, hint: self.error(path, message, hint),
                            {d.id: d.cls.role for d in devices}, {d.id: d.kind for d in devices})
        uses = parse_uses(data.get("uses", []), self.error)
        if self.issues:
            raise InstallationError(self.issues)
        return Installation(folder, self.file, name, site, node, backend, behaviour, devices,
                            states, rules, options, self.warnings, self.backend_options,
                            schedule, nodes, broker, log_config, evaluation, staff, uses)

    def check_backend(self, path: KeyPath, name: str) -> None:
        known = plugins.registered(plugins.BACKENDS)
        if name not in known:
            self.error(path, f"unknown backend {name!r}",
                       suggest(name, known) or f"backends: {', '.join(sorted(known))}")

    def backend_class(self, path: KeyPath, name: str) -> type[Backend] | None:
        """The class of a backend the file names (imported: entry points are cheap to load)."""
        if name not in self.backend_classes:
            cls = None
            if name in plugins.registered(plugins.BACKENDS):
                try:
                    cls = plugins.load(plugins.BACKENDS, name)
                except plugins.PluginError as exc:
                    self.error(path, str(exc))
            self.backend_classes[name] = cls
        return self.backend_classes[name]

    def backend_table(self, name: str, raw: Any) -> None:
        """`[serial]` and friends: checked against the backend's declared options."""
        cls = self.backend_class((name,), name)
        if cls is None:
            return
        options = read_settings(self, name, cls, raw)
        if options is not None:
            self.backend_options[name] = options

    def check_on_backend(self, path: KeyPath, cfg: DeviceConfig) -> None:
        """Let the device's backend refuse what it cannot serve (only backends the file names,
        so checking a simple installation imports no hardware library)."""
        name = cfg.backend or self.default_backend
        if cfg.backend is None and not self.default_named and name not in self.backend_options:
            # The implicit gpio backend: checked too (`run` would refuse the same), unless
            # its library is not installed here (a laptop), where `run` cannot start anyway.
            if name not in plugins.registered(plugins.BACKENDS):
                return
            try:
                cls = plugins.load(plugins.BACKENDS, name)
            except plugins.PluginError:
                return
        else:
            cls = self.backend_class((*path, "backend"), name)
        if cls is None:
            return
        opts = cls.with_defaults(self.backend_options.get(name, {}))
        for key, message in cls.check_device(cfg, opts):
            self.error((*path, key) if key else path, message)
        for key, message in cls.device_notes(cfg, opts):
            self.warn((*path, key) if key else path, message)

    def check_together(self, devices: list[DeviceConfig]) -> None:
        """Let each backend refuse what its devices cannot do together (one bus address)."""
        served: dict[str, list[DeviceConfig]] = {}
        for cfg in devices:
            served.setdefault(cfg.backend or self.default_backend, []).append(cfg)
        for name, group in served.items():
            if name not in plugins.registered(plugins.BACKENDS):
                continue
            try:
                cls = plugins.load(plugins.BACKENDS, name)
            except plugins.PluginError:
                continue  # said once per device by check_on_backend where it matters
            opts = cls.with_defaults(self.backend_options.get(name, {}))
            for dev_id, key, message in cls.check_together(group, opts):
                path: KeyPath = ("devices", self.device_index[dev_id])
                self.error((*path, key) if key else path, message)

    def behaviour(self, head: dict[str, Any], folder: Path) -> Path | None:
        given = self.text_value(("installation",), head, "behaviour", None)
        path = folder / (given or DEFAULT_BEHAVIOUR)
        if not path.is_file():
            if given:
                self.error(("installation", "behaviour"), f"behaviour file {path} not found")
            return None
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as exc:
            self.issues.append(ConfigIssue(str(path), exc.lineno, "",
                                           f"Python syntax error: {exc.msg}",
                                           (exc.text or "").strip()))
        return path

    # -- devices --------------------------------------------------------------------
    def devices(self, raw: Any) -> list[DeviceConfig]:
        kinds = plugins.registered(plugins.DEVICES)
        seen = self.device_index
        result: list[DeviceConfig] = []
        for i, table in enumerate(self.tables(raw, "devices")):
            path: KeyPath = ("devices", i)
            dev_id = table.get("id")
            if "id" in table and (not isinstance(dev_id, str) or not dev_id):
                self.error((*path, "id"), f"expected a name in quotes, got {dev_id!r}",
                           'write id = "door" (lower case letters, digits and _)')
                continue
            if not isinstance(dev_id, str):
                self.error(path, "device without an id", 'add id = "door" (a short name)')
                continue
            if not NAME_RE.match(dev_id):
                self.error((*path, "id"), f"id {dev_id!r} is not a usable name",
                           "use lower case letters, digits and _, starting with a letter")
                continue
            if dev_id in RESERVED_IDS or keyword.iskeyword(dev_id):
                self.error((*path, "id"), f"id {dev_id!r} is reserved by museokit",
                           f"pick another name, such as '{dev_id}_1'")
                continue
            if dev_id in seen:
                first = seen[dev_id]
                self.error((*path, "id"), f"duplicate id {dev_id!r}, already used by devices[{first}] "
                           f"at line {line_of(self.lines, ('devices', first))}",
                           "give each device its own id")
                continue
            seen[dev_id] = i
            kind = table.get("kind")
            if not isinstance(kind, str):
                self.error((*path, "kind") if "kind" in table else path,
                           f"device {dev_id!r} has no kind" if kind is None else
                           f"expected a kind in quotes, got {kind!r}",
                           f"add kind = \"...\", one of: {', '.join(sorted(kinds))}")
                self.broken_ids.add(dev_id)
                continue
            if kind not in kinds:
                self.error((*path, "kind"), f"unknown kind {kind!r}",
                           suggest(kind, kinds) or f"kinds: {', '.join(sorted(kinds))}")
                self.broken_ids.add(dev_id)
                continue
            try:
                cls: type[Device] = plugins.load(plugins.DEVICES, kind)
            except plugins.PluginError as exc:
                self.error((*path, "kind"), str(exc))
                self.broken_ids.add(dev_id)
                continue
            result.append(self.device(path, table, dev_id, kind, cls))
        return result

    def device(self, path: KeyPath, table: dict[str, Any], dev_id: str, kind: str,
               cls: type[Device]) -> DeviceConfig:
        backend = self.text_value(path, table, "backend", None)
        if backend is not None:
            self.check_backend((*path, "backend"), backend)
        board = self.text_value(path, table, "board", None)
        node = self.text_value(path, table, "node", None, slug=True)
        self.unknown_keys(path, table, (*_DEVICE_COMMON, *cls.pins, *cls.options),
                          f"a {kind} device")
        pins = self.pins.device_pins(path, table, dev_id, cls.pins, board, cls.bus_pin_keys)
        options = read_options(self, path, cls, table)
        self.device_options[dev_id] = cls.with_defaults(options)
        label = table.get("label", "")
        cfg = DeviceConfig(dev_id, kind, cls, backend, board, pins, options,
                           label if isinstance(label, str) else "", line_of(self.lines, path), node)
        self.check_on_backend(path, cfg)
        return cfg

    def check_steady_pulses(self, devices: list[DeviceConfig]) -> None:
        """A servo on the Pi's own pins: a warning that its pulses will be software-timed.

        gpiozero 2's lgpio and RPi.GPIO factories time PWM in software on every pin (the
        hardware-PWM pins GPIO12, 13, 18 and 19 too: neither library drives the PWM
        peripheral), and a few tens of µs of jitter on a 1-2 ms pulse is a visible twitch.
        Only pigpio's DMA-timed PWM (Pi 4 and older) is steady, on any pin.
        """
        if os.environ.get("GPIOZERO_PIN_FACTORY", "").lower() == "pigpio":
            return
        for i, cfg in enumerate(devices):
            if not cfg.cls.steady_pulses or (cfg.backend or self.default_backend) != "gpio":
                continue
            for key, ref in cfg.pins.items():
                if ref.board != "pi":
                    continue
                self.warn(("devices", i, key),
                          f"{cfg.kind} {cfg.id!r} on {ref}: gpiozero times its pulses in software "
                          "on every pin (lgpio, RPi.GPIO; GPIO12, 13, 18, 19 included), so it may "
                          "twitch and hum",
                          "for steady pulses run pigpio on a Pi 4 or older (apt install pigpio "
                          "python3-pigpio, systemctl enable --now pigpiod, then "
                          "GPIOZERO_PIN_FACTORY=pigpio, which also silences this note), or drive "
                          'it from a microcontroller (backend = "serial"); `detach` after each '
                          "move quiets a servo that only has to stay put")


def _line_from_toml_error(message: str, text: str) -> int | None:
    marker = "(at line "
    if marker in message:
        rest = message.split(marker, 1)[1]
        digits = rest.split(",", 1)[0].strip(")")
        return int(digits) if digits.isdigit() else None
    if "(at end of document)" in message:  # an unclosed array or string: look at the end
        written = [n for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        return written[-1] if written else None
    return None


def _deepest_line(text: str, limit: int = 100) -> int | None:
    """The line where brackets first nest `limit` deep (strings not told apart: a hint)."""
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for ch in line:
            depth += (ch in "[{") - (ch in "]}")
            if depth >= limit:
                return number
    return None


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "site_" + slug
    return slug
