"""The installation file, validated into typed objects before anything starts.

Every problem is collected (not just the first) and reported with the file, the
line, the key path, what was expected and, where a name is close to a known one,
a suggestion: `installation.toml:12: devices[1].kind: unknown kind 'buton' — did
you mean 'button'?`.
"""

from __future__ import annotations

import keyword
import os
import shlex
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from museokit.core import plugins
from museokit.core.backend import Backend
from museokit.core.device import CommandError, Device, check_call
from museokit.core.events import NAME_RE
from museokit.core.nodes import (
    BROKER_KEYS,
    MAX_QUEUE_LIMIT,
    URL_HINT,
    BrokerConfig,
    NodeConfig,
    parse_broker_url,
)
from museokit.core.options import OptionError
from museokit.core.pins import ADC_SPI_PINS, BUS_PINS, PinRef, bus_of, is_adc, normalise_pin
from museokit.core.schedule import SCHEDULE_EVENTS, SCHEDULE_ID, Schedule, parse_schedule
from museokit.core.states import STATES_ID, StateConfig, StateMachine
from museokit.core.suggest import suggest
from museokit.core.tomlmap import Path as KeyPath
from museokit.core.tomlmap import key_lines, line_of
from museokit.core.uses import UseConfig, parse_uses

FILENAME = "installation.toml"
DEFAULT_BEHAVIOUR = "behaviour.py"

#: Names a device id may not take: they are the behaviour API or Python keywords.
RESERVED_IDS = frozenset({STATES_ID, "installation", "on", "after", "every", "goto", "state",
                          "enter", "lockout", "device", "log", "command", "options", "event",
                          "print", "sim", SCHEDULE_ID})

_TOP_LEVEL = ("installation", "devices", "states", "rules", "options", "schedule", "nodes", "broker",
              "uses")
_INSTALLATION_KEYS = ("name", "site", "node", "backend", "behaviour", "description",
                      *(f"{bus}_pins_as_gpio" for bus in BUS_PINS))
_DEVICE_COMMON = ("id", "kind", "backend", "board", "label", "description", "node")
_STATE_KEYS = ("name", "idle", "timeout", "then")
_RULE_KEYS = ("when", "value", "in_state", "do", "cooldown", "lockout", "until")
_NODE_KEYS = ("id", "description")


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
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}:{key} {self.message}{hint}"


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


@dataclass(frozen=True)
class Action:
    device: str
    command: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    text: str = ""


@dataclass
class RuleConfig:
    when: str
    actions: list[Action]
    value: Any = None
    match_value: bool = False
    in_state: tuple[str, ...] = ()
    cooldown: float = 0.0
    lockout: float = 0.0
    until: str | None = None
    line: int | None = None

    def describe(self) -> str:
        return f"rule at line {self.line}" if self.line else f"rule when {self.when}"


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
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        if Path(path).exists():
            hint = (f"{file.parent} has no {FILENAME}: is it the installation folder? "
                    "`museokit new FOLDER` starts one from a template")
        else:
            hint = f"no such folder; `museokit new {path}` starts an installation there"
        raise InstallationError([ConfigIssue(str(file), None, "", "file not found", hint)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstallationError([ConfigIssue(str(file), None, "", f"cannot read: {exc}")]) from None
    return _Checker(file, text).run()


class _Checker:
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
        #: Every pin given, with where it is written and its device: for the bus-pin check.
        self.pins_given: list[tuple[KeyPath, str, PinRef]] = []

    # -- reporting ------------------------------------------------------------------
    def error(self, path: KeyPath, message: str, hint: str = "") -> None:
        self.issues.append(ConfigIssue(str(self.file), line_of(self.lines, path),
                                       _format_path(path), message, hint))

    def warn(self, path: KeyPath, message: str, hint: str = "") -> None:
        self.warnings.append(ConfigIssue(str(self.file), line_of(self.lines, path),
                                         _format_path(path), message, hint))

    def unknown_keys(self, path: KeyPath, table: dict[str, Any], known: Iterable[str],
                     what: str) -> None:
        known = list(known)
        for key in table:
            if key not in known:
                self.error((*path, key), f"unknown key {key!r} in {what}",
                           suggest(key, known) or f"known keys: {', '.join(known)}")

    def text_value(self, path: KeyPath, table: dict[str, Any], key: str, default: str | None,
                   slug: bool = False) -> str | None:
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.error((*path, key), f"expected a text, got {value!r}")
            return default
        if slug and not NAME_RE.match(value):
            self.error((*path, key), f"{value!r} is not a usable name",
                       "use lower case letters, digits and _, starting with a letter")
            return default
        return value

    def seconds(self, path: KeyPath, table: dict[str, Any], key: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.error((*path, key), f"expected a number of seconds (0 or more), got {value!r}")
            return None
        return float(value)

    # -- the file -------------------------------------------------------------------
    def run(self) -> Installation:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            line = _line_from_toml_error(str(exc), self.text)
            raise InstallationError([ConfigIssue(str(self.file), line, "", f"not valid TOML: {exc}",
                                                 "check quotes, brackets and '=' on that line")]
                                    ) from None
        backend_names = plugins.registered(plugins.BACKENDS)
        self.unknown_keys((), data, (*_TOP_LEVEL, *backend_names), "the installation file")
        head = self.section(data, "installation")
        folder = self.file.parent
        name = self.text_value(("installation",), head, "name", folder.resolve().name) or ""
        default_site = _slug(folder.resolve().name)
        site = self.text_value(("installation",), head, "site", default_site, slug=True) or ""
        nodes = self.nodes(data.get("nodes", []))
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
        self.check_device_nodes(devices, nodes)
        broker = self.broker(self.section(data, "broker"))
        self.check_bus_pins(head)
        self.check_steady_pulses(devices)
        states = self.states(data.get("states", []))
        schedule = None
        if "schedule" in data:
            schedule = parse_schedule(self.section(data, "schedule"),
                                      lambda path, message, hint: self.error(
                                          ("schedule", *path), message, hint))
        known_ids = {d.id: d.cls for d in devices}
        rules = self.rules(data.get("rules", []), known_ids, states, schedule is not None)
        options = data.get("options", {})
        if not isinstance(options, dict):
            self.error(("options",), "expected a table: write [options]")
            options = {}
        uses = parse_uses(data.get("uses", []), self.error)
        if self.issues:
            raise InstallationError(self.issues)
        return Installation(folder, self.file, name, site, node, backend, behaviour, devices,
                            states, rules, options, self.warnings, self.backend_options,
                            schedule, nodes, broker, uses)

    def section(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.error((name,), f"expected a table: write [{name}]")
            return {}
        return value

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
        path: KeyPath = (name,)
        cls = self.backend_class(path, name)
        if cls is None:
            return
        if not isinstance(raw, dict):
            self.error(path, f"expected a table: write [{name}]")
            return
        self.unknown_keys(path, raw, cls.settings, f"[{name}]")
        options: dict[str, Any] = {}
        for key, opt in cls.settings.items():
            if key in raw:
                try:
                    options[key] = opt.convert(raw[key])
                except OptionError as exc:
                    self.error((*path, key), str(exc), opt.help)
        if all(key in options for key in raw if key in cls.settings):
            for key, message in cls.check_options(cls.with_defaults(options)):
                self.error((*path, key), message)
        self.backend_options[name] = options

    def check_on_backend(self, path: KeyPath, cfg: DeviceConfig) -> None:
        """Let the device's backend refuse what it cannot serve (only backends the file names,
        so checking a simple installation imports no hardware library)."""
        name = cfg.backend or self.default_backend
        if cfg.backend is None and not self.default_named and name not in self.backend_options:
            return
        cls = self.backend_class((*path, "backend"), name)
        if cls is None:
            return
        opts = cls.with_defaults(self.backend_options.get(name, {}))
        for key, message in cls.check_device(cfg, opts):
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

    # -- nodes and broker -------------------------------------------------------------
    def nodes(self, raw: Any) -> list[NodeConfig]:
        result: list[NodeConfig] = []
        for i, table in enumerate(self.tables(raw, "nodes")):
            path: KeyPath = ("nodes", i)
            self.unknown_keys(path, table, _NODE_KEYS, "a node")
            node_id = self.text_value(path, table, "id", None, slug=True)
            if node_id is None:
                self.error(path, "node without an id", 'add id = "entrance" (a short name)')
                continue
            if node_id in [n.id for n in result]:
                self.error((*path, "id"), f"duplicate node {node_id!r}", "give each node its own id")
                continue
            description = self.text_value(path, table, "description", None) or ""
            result.append(NodeConfig(node_id, description, line_of(self.lines, path)))
        return result

    def check_device_nodes(self, devices: list[DeviceConfig], nodes: list[NodeConfig]) -> None:
        ids = [n.id for n in nodes]
        for cfg in devices:
            if cfg.node is None or cfg.node in ids:
                continue
            path: KeyPath = ("devices", self.device_index[cfg.id], "node")
            hint = (suggest(cfg.node, ids) or f"declared nodes: {', '.join(ids)}") if ids else \
                f'declare it: [[nodes]] id = "{cfg.node}"'
            self.error(path, f"device {cfg.id!r} is on node {cfg.node!r}, which is not declared "
                       "in [[nodes]]", hint)

    def broker(self, table: dict[str, Any]) -> BrokerConfig:
        path: KeyPath = ("broker",)
        self.unknown_keys(path, table, BROKER_KEYS, "[broker]")
        url = None
        text = self.text_value(path, table, "url", None)
        if text is not None:
            try:
                url = parse_broker_url(text)
            except ValueError as exc:
                self.error((*path, "url"), str(exc), URL_HINT)
        tls = {key: self.text_value(path, table, key, None) for key in ("tls_ca", "tls_cert", "tls_key")}
        discovery = table.get("discovery", False)
        if not isinstance(discovery, bool):
            self.error((*path, "discovery"), f"expected true or false, got {discovery!r}",
                       "discovery = true publishes Home Assistant discovery configs")
            discovery = False
        limit = table.get("queue_limit", BrokerConfig.queue_limit)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_QUEUE_LIMIT:
            self.error((*path, "queue_limit"), f"expected a whole number from 1 to "
                       f"{MAX_QUEUE_LIMIT}, got {limit!r}",
                       "how many events a node keeps on disk while the broker is away")
            limit = BrokerConfig.queue_limit
        return BrokerConfig(url, tls["tls_ca"], tls["tls_cert"], tls["tls_key"], discovery, limit)

    # -- devices --------------------------------------------------------------------
    def tables(self, raw: Any, name: str) -> list[dict[str, Any]]:
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            self.error((name,), f"expected [[{name}]] tables",
                       f"write each one under its own [[{name}]] header")
            return []
        return raw

    def devices(self, raw: Any) -> list[DeviceConfig]:
        kinds = plugins.registered(plugins.DEVICES)
        seen = self.device_index
        pins_used: dict[PinRef, str] = {}
        result: list[DeviceConfig] = []
        for i, table in enumerate(self.tables(raw, "devices")):
            path: KeyPath = ("devices", i)
            dev_id = table.get("id")
            if not isinstance(dev_id, str) or not dev_id:
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
                self.error(path, f"device {dev_id!r} has no kind",
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
            result.append(self.device(path, table, dev_id, kind, cls, pins_used))
        return result

    def device(self, path: KeyPath, table: dict[str, Any], dev_id: str, kind: str,
               cls: type[Device], pins_used: dict[PinRef, str]) -> DeviceConfig:
        backend = self.text_value(path, table, "backend", None)
        if backend is not None:
            self.check_backend((*path, "backend"), backend)
        board = self.text_value(path, table, "board", None)
        node = self.text_value(path, table, "node", None, slug=True)
        self.unknown_keys(path, table, (*_DEVICE_COMMON, *cls.pins, *cls.options),
                          f"a {kind} device")
        pins: dict[str, PinRef] = {}
        for pin_key in cls.pins:
            raw_pin = table.get(pin_key)
            if raw_pin is None:
                self.warn(path, f"device {dev_id!r} has no {pin_key} yet",
                          f"fine in the simulator; add {pin_key} = <GPIO number> before "
                          "running on the hardware")
                continue
            try:
                ref = normalise_pin(raw_pin, board or "pi")
            except ValueError as exc:
                self.error((*path, pin_key), str(exc))
                continue
            if ref in pins_used:
                self.error((*path, pin_key), f"pin {ref} is already used by device "
                           f"{pins_used[ref]!r}", "each pin can serve one device; move one")
                continue
            pins_used[ref] = dev_id
            pins[pin_key] = ref
            self.pins_given.append(((*path, pin_key), dev_id, ref))
        options: dict[str, Any] = {}
        for name, opt in cls.options.items():
            if name not in table:
                continue
            try:
                options[name] = opt.convert(table[name])
            except OptionError as exc:
                self.error((*path, name), f"{exc}", opt.help)
        if all(name in options for name in cls.options if name in table):
            for key, message in cls.check_options(cls.with_defaults(options)):
                self.error((*path, *(key if isinstance(key, tuple) else (key,))), message)
        self.device_options[dev_id] = cls.with_defaults(options)
        label = table.get("label", "")
        cfg = DeviceConfig(dev_id, kind, cls, backend, board, pins, options,
                           label if isinstance(label, str) else "", line_of(self.lines, path), node)
        self.check_on_backend(path, cfg)
        return cfg

    def check_bus_pins(self, head: dict[str, Any]) -> None:
        """Pi pins that belong to I2C or SPI: an error if an ADC in this installation uses
        that bus, a warning unless `[installation] <bus>_pins_as_gpio = true` says so."""
        adc = next((dev_id for _, dev_id, ref in self.pins_given if is_adc(ref.board)), None)
        freed = {bus for bus in BUS_PINS if head.get(f"{bus}_pins_as_gpio") is True}
        for bus in BUS_PINS:
            key = f"{bus}_pins_as_gpio"
            if key in head and not isinstance(head[key], bool):
                self.error(("installation", key), f"expected true or false, got {head[key]!r}")
        for path, dev_id, ref in self.pins_given:
            found = bus_of(ref)
            if found is None:
                continue
            bus, role = found
            if adc is not None and bus == "spi" and int(ref.name[4:]) in ADC_SPI_PINS:
                self.error(path, f"pin {ref} is {role}, which the ADC of device {adc!r} uses",
                           "move this device to a free GPIO (4, 5, 6, 12, 13, 16-27)")
            elif bus not in freed:
                self.warn(path, f"pin {ref} of device {dev_id!r} is {role}: it works as a GPIO "
                          f"only while {bus.upper()} is off (raspi-config, Interface Options)",
                          f"if that is intended, say {bus}_pins_as_gpio = true in [installation]; "
                          "otherwise use a free GPIO (4, 5, 6, 12, 13, 16-27)")

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

    # -- states ---------------------------------------------------------------------
    def states(self, raw: Any) -> list[StateConfig]:
        result: list[StateConfig] = []
        tables = self.tables(raw, "states")
        names = [t.get("name") for t in tables]
        for i, table in enumerate(tables):
            path: KeyPath = ("states", i)
            self.unknown_keys(path, table, _STATE_KEYS, "a state")
            name = self.text_value(path, table, "name", None, slug=True)
            if name is None:
                self.error(path, "state without a name", 'add name = "attract"')
                continue
            if names.index(name) != i:
                self.error((*path, "name"), f"duplicate state {name!r}")
                continue
            then = self.text_value(path, table, "then", None)
            if then is not None and then not in names:
                self.error((*path, "then"), f"unknown state {then!r}",
                           suggest(then, [n for n in names if isinstance(n, str)]))
            idle = self.seconds(path, table, "idle")
            timeout = self.seconds(path, table, "timeout")
            result.append(StateConfig(name, idle, timeout, then, line_of(self.lines, path)))
        return result

    # -- rules ----------------------------------------------------------------------
    def rules(self, raw: Any, devices: dict[str, type[Device]],
              states: list[StateConfig], scheduled: bool) -> list[RuleConfig]:
        result = []
        events = {dev_id: cls.all_events() for dev_id, cls in devices.items()}
        state_names = [s.name for s in states]
        if states:
            events[STATES_ID] = tuple(state_names)
        if scheduled:
            events[SCHEDULE_ID] = SCHEDULE_EVENTS
        for i, table in enumerate(self.tables(raw, "rules")):
            path: KeyPath = ("rules", i)
            self.unknown_keys(path, table, _RULE_KEYS, "a rule")
            when = table.get("when")
            if not isinstance(when, str):
                self.error(path, "rule without `when`", 'add when = "door.pressed"')
                continue
            self.check_event((*path, "when"), when, events)
            until = self.text_value(path, table, "until", None)
            if until is not None:
                self.check_event((*path, "until"), until, events)
            in_state = table.get("in_state", ())
            in_state = (in_state,) if isinstance(in_state, str) else in_state
            if not isinstance(in_state, list | tuple) or not all(
                    isinstance(n, str) for n in in_state):
                self.error((*path, "in_state"), f"expected a state name or a list of them, "
                           f"got {in_state!r}", 'for example in_state = "engaged"')
                in_state = ()
            in_state = tuple(in_state)
            for name in in_state:
                if name not in state_names:
                    self.error((*path, "in_state"), f"unknown state {name!r}",
                               suggest(str(name), state_names) or
                               "declare it in a [[states]] table")
            do = table.get("do")
            if isinstance(do, str):
                do = [do]
            if not isinstance(do, list) or not do or not all(isinstance(a, str) for a in do):
                self.error((*path, "do"), "expected an action or a list of actions",
                           'for example do = "led.on" or do = ["led.on", "buzzer.beep"]')
                continue
            actions = [a for a in (self.action((*path, "do"), text, devices, state_names)
                                   for text in do) if a is not None]
            result.append(RuleConfig(
                when, actions, table.get("value"), "value" in table, in_state,
                self.seconds(path, table, "cooldown") or 0.0,
                self.seconds(path, table, "lockout") or 0.0, until, line_of(self.lines, path)))
        return result

    def check_event(self, path: KeyPath, pattern: str, events: dict[str, tuple[str, ...]]) -> None:
        dev_id, sep, name = pattern.partition(".")
        if not sep:
            self.error(path, f"{pattern!r} is not an event",
                       "events are written device.event, like door.pressed")
            return
        if "*" in dev_id or "?" in dev_id or dev_id in self.broken_ids:
            return
        if dev_id not in events:
            self.error(path, f"unknown device {dev_id!r} in {pattern!r}",
                       suggest(dev_id, events) or f"devices: {', '.join(sorted(events))}")
            return
        if "*" in name or "?" in name:
            return
        if name not in events[dev_id]:
            self.error(path, f"{dev_id} has no event {name!r}",
                       suggest(name, events[dev_id]) or
                       f"its events: {', '.join(events[dev_id]) or 'none'}")

    def action(self, path: KeyPath, text: str, devices: dict[str, type[Device]],
               state_names: list[str]) -> Action | None:
        try:
            action = parse_action(text)
        except ValueError as exc:
            self.error(path, str(exc), 'write "device.command arguments", like "led.blink n=3"')
            return None
        if action.device == STATES_ID and state_names:
            cls: type[Device] = StateMachine
            if action.command == "goto" and action.args and action.args[0] not in state_names:
                self.error(path, f"{text!r}: unknown state {action.args[0]!r}",
                           suggest(str(action.args[0]), state_names))
                return None
        elif action.device in devices:
            cls = devices[action.device]
        elif action.device in self.broken_ids:
            return None
        else:
            known = [*devices, *([STATES_ID] if state_names else [])]
            self.error(path, f"{text!r}: unknown device {action.device!r}",
                       suggest(action.device, known) or f"devices: {', '.join(sorted(known))}")
            return None
        try:
            check_call(cls, f"a {cls.kind}", action.command, list(action.args),
                       dict(action.kwargs), self.device_options.get(action.device, {}))
        except CommandError as exc:
            self.error(path, f"{text!r}: {exc}", exc.hint)
            return None
        return action


def parse_action(text: str) -> Action:
    """`"led.blink 0.2 0.2 n=3"` -> Action('led', 'blink', (0.2, 0.2), (('n', 3),))."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if not words:
        raise ValueError("empty action")
    target, sep, cmd = words[0].partition(".")
    if not sep or not target or not cmd:
        raise ValueError(f"{text!r} does not name a device command")
    args: list[Any] = []
    kwargs: list[tuple[str, Any]] = []
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if eq and NAME_RE.match(key):
            kwargs.append((key, parse_scalar(value)))
        else:
            args.append(parse_scalar(word))
    return Action(target, cmd, tuple(args), tuple(kwargs), text)


def parse_scalar(word: str) -> Any:
    """Numbers become numbers, true/false booleans, none None; the rest stays text."""
    lowered = word.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for convert in (int, float):
        try:
            return convert(word)
        except ValueError:
            pass
    return word


def _format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


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


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "site_" + slug
    return slug
