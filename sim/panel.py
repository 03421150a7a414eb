"""One node's panel in the simulator window: its devices as controls and live outputs.

Controls are drawn from the installation: buttons to click and hold (with their
keyboard shortcut), a PIR to pulse or hold, sliders for distance and analog
sensors, a tag reader with cards, and the named states to jump between. Outputs
(LEDs, RGB LEDs in their colour, pixel strips, relays, servos, buzzers) are drawn
from what the simulated backend outputs at this instant (`VirtualOutput.level()`),
so a pulsing LED pulses. A device kind the panel does not know (a brick from another package)
still shows its label and a button per simulated action.

A panel takes one `LiveSession`; a multi-node installation gets one panel per
node. When a node's loop ends (`quit`, a crash, a node that dies), its panel says
so in red, and the others go on. A node run with `--broker` shows the devices of
the other nodes as rows of what those nodes report; when one of them dies (its
last will `offline` arrives), its rows and the panel's head say `node X offline`
in red, and they come back when it does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import pygame

from museokit.backends.sim import SimBackend
from museokit.core.device import Device
from museokit.core.runtime import Runtime
from museokit.core.states import STATES_ID
from museokit.sim import ui
from museokit.sim.live import LiveSession

#: A card anyone can put on a tag reader that names no tags of its own.
SAMPLE_TAG = "04A3B2"


class HoldButton(ui.Control):
    """A visitor's button: down while the mouse (or the key) is down."""

    def __init__(self, session: LiveSession, device: Device, shortcut: str) -> None:
        super().__init__(f"{device.id} button")
        self.session, self.device, self.shortcut = session, device, shortcut

    def press(self) -> None:
        self.session.act(self.device.id, "press")

    def release(self) -> None:
        self.session.act(self.device.id, "release")

    def draw(self, surface: pygame.Surface, theme: ui.Theme) -> None:
        pressed = self.down or bool(self.device.state.get("pressed"))
        self.frame(surface, theme, ui.PRESSED if pressed else ui.RAISED)
        caption = f"[{self.shortcut}] {'pressed' if pressed else 'press'}"
        image = theme.font(0.9, bold=True).render(caption, True, ui.TEXT)
        surface.blit(image, image.get_rect(center=self.rect.center))


class Row:
    """One device: a title on the left, its controls or its drawing on the right."""

    def __init__(self, device: Device, controls: list[ui.Control] | None = None,
                 drawing: Drawing | None = None,
                 shortcut: str = "") -> None:
        self.device = device
        self.controls = controls or []
        self.drawing = drawing
        self.shortcut = shortcut
        self.rect = pygame.Rect(0, 0, 0, 0)

    def layout(self, rect: pygame.Rect, theme: ui.Theme) -> None:
        self.rect = rect
        body = self.body(theme)
        if not self.controls:
            return
        gap = theme.pad
        width = (body.width - gap * (len(self.controls) - 1)) // len(self.controls)
        for i, control in enumerate(self.controls):
            control.rect = pygame.Rect(body.left + i * (width + gap), body.top, width, body.height)

    def body(self, theme: ui.Theme) -> pygame.Rect:
        left = self.rect.left + round(self.rect.width * 0.36)
        return pygame.Rect(left, self.rect.top + theme.pad, self.rect.right - left - theme.pad,
                           self.rect.height - 2 * theme.pad)

    def draw(self, surface: pygame.Surface, theme: ui.Theme) -> None:
        device = self.device
        width = round(self.rect.width * 0.36) - theme.pad * 2
        x, y = self.rect.left + theme.pad, self.rect.top + theme.pad
        colour = ui.TEXT if device.is_online else ui.BAD
        theme.text(surface, device.id, (x, y), colour, bold=True, max_width=width)
        status = device.label if device.is_online else "offline"
        theme.text(surface, f"{device.kind} · {status}", (x, y + round(theme.unit * 0.95)), ui.DIM,
                   size=0.8, max_width=width)
        if self.drawing is not None:
            self.drawing(surface, self.body(theme), theme)
        for control in self.controls:
            control.draw(surface, theme)


class NodePanel:
    """The devices of one running session, rebuilt when a reload brings a new version."""

    def __init__(self, session: LiveSession, shortcuts: list[str]) -> None:
        self.session = session
        self._shortcuts = shortcuts
        self.rows: list[Row] = []
        self.built_for: Runtime | None = None
        self.hold_motion: dict[str, float] = {}  # PIR id -> clock time of the last pulse
        self.rect = pygame.Rect(0, 0, 0, 0)

    @property
    def controls(self) -> list[ui.Control]:
        return [c for row in self.rows for c in row.controls]

    def shortcut_controls(self) -> dict[str, ui.Control]:
        return {row.shortcut: row.controls[0] for row in self.rows if row.shortcut and row.controls}

    def sync(self) -> bool:
        """Rebuild after a reload; True when the rows changed."""
        runtime = self.session.runtime
        if runtime is None or runtime is self.built_for:
            return False
        self.built_for = runtime
        keys = iter(self._shortcuts)
        self.rows = [self._row(runtime, device, keys) for device in runtime.devices.values()]
        self.hold_motion = {k: v for k, v in self.hold_motion.items() if k in runtime.devices}
        return True

    def tick(self) -> None:
        """Keep held PIRs seeing motion: a pulse every half of their retrigger time."""
        now = self.session.clock.monotonic()
        runtime = self.session.runtime
        for dev_id, last in list(self.hold_motion.items()):
            device = runtime.devices.get(dev_id) if runtime else None
            interval = max(0.2, float(device.opts.get("retrigger", 1.0)) / 2) if device else 1.0
            if now - last >= interval:
                self.hold_motion[dev_id] = now
                self.session.act(dev_id, "motion")

    # -- building -------------------------------------------------------------------------
    def _row(self, runtime: Runtime, device: Device, keys: Any) -> Row:
        act = self.session.act
        dev_id = device.id
        node = remote_nodes(runtime).get(dev_id)
        if node is not None:  # played on its own node's window; here, what that node reports
            return Row(device, drawing=_remote_drawing(device, node))
        if device.kind == "button":
            key = next(keys, "")
            return Row(device, [HoldButton(self.session, device, key)], shortcut=key)
        if device.kind == "motion":
            key = next(keys, "")
            return Row(device, [
                ui.PushButton(f"{dev_id} pulse", f"[{key}] pulse", lambda: act(dev_id, "motion")),
                ui.PushButton(f"{dev_id} hold", "hold", lambda: self._toggle_hold(dev_id),
                              lit=lambda: dev_id in self.hold_motion)], shortcut=key)
        if device.kind in ("distance", "analog"):
            return Row(device, [self._slider(device)])
        if device.kind == "tag_reader":
            return Row(device, self._cards(device))
        if device.kind == "touch":
            return Row(device, self._pads(device))
        if device.kind == "encoder":
            return Row(device, [ui.PushButton(f"{dev_id} turn {label}", label,
                                              partial(act, dev_id, "turn", steps))
                                for label, steps in (("< turn back", "-1"), ("turn >", "1"))])
        if device.id == STATES_ID:
            return Row(device, [
                ui.PushButton(f"goto {s}", s, partial(self.session.command, f"states.goto {s}"),
                              lit=partial(_is_state, runtime, s))
                for s in (st.name for st in runtime.installation.states)])
        if device.role == "input":
            return Row(device, [ui.PushButton(f"{dev_id} {a}", a, partial(act, dev_id, a))
                                for a in device.sim_actions])
        return Row(device, drawing=_output_drawing(runtime, device))

    def _toggle_hold(self, dev_id: str) -> None:
        if self.hold_motion.pop(dev_id, None) is None:
            self.hold_motion[dev_id] = -math.inf  # pulse on the next tick

    def _slider(self, device: Device) -> ui.Slider:
        dev_id = device.id

        def commit(value: float | None) -> None:
            self.session.act(dev_id, "value", "none" if value is None else f"{value:g}")

        if device.kind == "distance":
            return ui.Slider(f"{dev_id} slider", 0, float(device.opts["max_distance"]), 5, commit,
                             none_label="nobody")
        return ui.Slider(f"{dev_id} slider", 0.0, 1.0, 0.05, commit)

    def _cards(self, device: Device) -> list[ui.Control]:
        dev_id = device.id
        tags: dict[str, str] = dict(device.opts.get("tags") or {}) or {SAMPLE_TAG: SAMPLE_TAG}

        def card(tag: str) -> Callable[[], None]:
            def toggle() -> None:
                on_reader = device.state.get("tag") == tag
                self.session.act(dev_id, "tag", "none" if on_reader else tag)
            return toggle

        cards: list[ui.Control] = [
            ui.PushButton(f"{dev_id} card {tag}", name if name == tag else f"{name} {tag}", card(tag),
                          lit=partial(_has_tag, device, tag))
            for tag, name in tags.items()]
        cards.append(ui.PushButton(f"{dev_id} take away", "take away",
                                   lambda: self.session.act(dev_id, "tag", "none")))
        return cards

    def _pads(self, device: Device) -> list[ui.Control]:
        """A button per named pad (the first four when none is named): click to touch it,
        click again to let go."""
        dev_id = device.id
        names = {int(n): name for name, n in (device.opts.get("pads") or {}).items()}
        pads = sorted(names) or [0, 1, 2, 3]

        def pad(number: int) -> Callable[[], None]:
            def toggle() -> None:
                held = number in _pad_numbers(device)
                self.session.act(dev_id, "release" if held else "touch", str(number))
            return toggle

        return [ui.PushButton(f"{dev_id} pad {n}", str(names.get(n, f"pad {n}")), pad(n),
                              lit=partial(lambda n: n in _pad_numbers(device), n)) for n in pads]

    # -- drawing ---------------------------------------------------------------------------
    def layout(self, rect: pygame.Rect, theme: ui.Theme) -> None:
        self.rect = rect
        row_h = round(theme.unit * 2.1)
        top = rect.top + round(theme.unit * 1.6)
        for row in self.rows:
            row.layout(pygame.Rect(rect.left, top, rect.width, row_h), theme)
            top += row_h

    def draw(self, surface: pygame.Surface, theme: ui.Theme) -> None:
        pygame.draw.rect(surface, ui.PANEL, self.rect, border_radius=theme.pad)
        inst = self.session.installation
        head = f"{inst.name} — node {inst.node}"
        x, y = self.rect.left + theme.pad, self.rect.top + theme.pad
        theme.text(surface, head, (x, y), ui.TEXT, bold=True, max_width=self.rect.width // 2)
        status, colour = self.status()
        theme.text(surface, status, (self.rect.centerx, y), colour, size=0.85,
                   max_width=self.rect.width // 2 - theme.pad)
        for row in self.rows:
            if row.rect.bottom <= self.rect.bottom:
                row.draw(surface, theme)

    def status(self) -> tuple[str, ui.Color]:
        session = self.session
        if session.ended.is_set():
            return f"node {session.installation.node} {session.end_reason or 'stopped'}", ui.BAD
        if session.error:
            return "reload refused: running the previous version", ui.WARN
        running = "running" + (f", reloaded {session.reloads}×" if session.reloads else "")
        down = offline_nodes(session.runtime) if session.runtime else []
        if down:
            return f"{running} · node {', '.join(down)} offline", ui.BAD
        return running, ui.GOOD


Drawing = Callable[[pygame.Surface, pygame.Rect, ui.Theme], None]


def _pad_numbers(device: Device) -> list[int]:
    names = {name: int(n) for name, n in (device.opts.get("pads") or {}).items()}
    return [names[p] if isinstance(p, str) else int(p) for p in device.state.get("touched") or []]


def _output_drawing(runtime: Runtime, device: Device) -> Drawing:
    backend = runtime.backends.get(runtime.device_backend.get(device.id, ""))
    channels = backend.all_outputs.get(device.id, []) if isinstance(backend, SimBackend) else []

    def level() -> Any:
        """The output's value now; a list of them for a device with several (an RGB LED)."""
        values = [channel.level() for channel in channels]
        return values[0] if len(values) == 1 else values

    def draw(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme) -> None:
        painter = _PAINTERS.get(device.kind)
        if painter is not None and channels:
            painter(surface, rect, theme, device, level())
        else:
            theme.text(surface, device.label, (rect.left, rect.top), ui.TEXT, max_width=rect.width)

    return draw


def remote_nodes(runtime: Runtime) -> dict[str, str]:
    """Device id -> node, for the devices this node reaches over MQTT (none without a broker)."""
    inst = runtime.installation
    return {d.id: inst.node_of(d) for d in inst.devices if runtime.device_backend.get(d.id) == "mqtt"}


def offline_nodes(runtime: Runtime) -> list[str]:
    """The other nodes whose devices are offline here (their last will came, or never online)."""
    nodes = remote_nodes(runtime)
    return sorted({node for dev_id, node in nodes.items() if not runtime.devices[dev_id].is_online})


def _remote_drawing(device: Device, node: str) -> Drawing:
    def draw(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme) -> None:
        online = device.is_online
        text = f"on node {node}: {device.label or '…'}" if online else f"node {node} offline"
        theme.text(surface, text, (rect.left, rect.top), ui.TEXT if online else ui.BAD,
                   max_width=rect.width)

    return draw


def _is_state(runtime: Runtime, name: str) -> bool:
    return runtime.current_state() == name


def _has_tag(device: Device, tag: str) -> bool:
    return bool(device.state.get("tag") == tag)


def _brightness(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return min(1.0, max(0.0, float(value or 0.0)))


def _mix(dark: ui.Color, bright: ui.Color, amount: float) -> ui.Color:
    r, g, b = (round(d + (c - d) * amount) for d, c in zip(dark, bright, strict=True))
    return (r, g, b)


def _paint_led(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, device: Device,
               value: Any) -> None:
    amount = _brightness(value)
    radius = rect.height // 2
    centre = (rect.left + radius, rect.centery)
    pygame.draw.circle(surface, _mix((55, 48, 36), (255, 214, 90), amount), centre, radius)
    theme.text(surface, f"{round(amount * 100)} %", (rect.left + 2 * radius + theme.pad,
                                                     rect.centery - theme.unit // 2), ui.DIM)


def _paint_rgb(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, device: Device,
               value: Any) -> None:
    r, g, b = (round(255 * _brightness(v)) for v in value)
    radius = rect.height // 2
    centre = (rect.left + radius, rect.centery)
    pygame.draw.circle(surface, (r, g, b) if r or g or b else (40, 40, 40), centre, radius)
    pygame.draw.circle(surface, ui.RAISED, centre, radius, width=1)
    theme.text(surface, f"#{r:02x}{g:02x}{b:02x}", (rect.left + 2 * radius + theme.pad,
                                                    rect.centery - theme.unit // 2), ui.DIM)


def _paint_pixels(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, device: Device,
                  value: Any) -> None:
    pixels = list(value or [])
    if not pixels:
        return
    size = min(rect.height, max(2, rect.width // len(pixels)))
    for i, colour in enumerate(pixels[: rect.width // size]):
        r, g, b = (min(255, max(0, int(c))) for c in colour)
        cell = pygame.Rect(rect.left + i * size, rect.centery - size // 2, size - 1, size - 1)
        pygame.draw.rect(surface, (r, g, b), cell)
        pygame.draw.rect(surface, ui.RAISED, cell, width=1)


def _paint_relay(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, device: Device,
                 value: Any) -> None:
    on = bool(value)
    switch = pygame.Rect(rect.left, rect.top, rect.height * 2, rect.height)
    pygame.draw.rect(surface, ui.GOOD if on else ui.RAISED, switch, border_radius=rect.height // 2)
    knob_x = switch.right - rect.height // 2 if on else switch.left + rect.height // 2
    pygame.draw.circle(surface, ui.TEXT, (knob_x, switch.centery), rect.height // 2 - 2)
    theme.text(surface, "closed" if on else "open", (switch.right + theme.pad,
                                                     rect.centery - theme.unit // 2), ui.DIM)


def _paint_servo(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, device: Device,
                 value: Any) -> None:
    angle = device.state.get("angle")
    radius = rect.height
    centre = (rect.left + radius, rect.bottom)
    pygame.draw.circle(surface, ui.RAISED, centre, radius, width=2, draw_top_left=True,
                       draw_top_right=True)
    if angle is not None:
        low, high = float(device.opts["min_angle"]), float(device.opts["max_angle"])
        fraction = (float(angle) - low) / ((high - low) or 1.0)
        theta = math.pi * (1 - fraction)
        tip = (centre[0] + round(radius * math.cos(theta)), centre[1] - round(radius * math.sin(theta)))
        pygame.draw.line(surface, ui.PRESSED, centre, tip, width=max(2, theme.pad // 2))
    theme.text(surface, "detached" if angle is None else f"{angle:g}°",
               (rect.left + 2 * radius + theme.pad, rect.centery - theme.unit // 2), ui.DIM)


def _paint_tone(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, device: Device,
                value: Any) -> None:
    colour = ui.PRESSED if value else ui.DIM
    theme.text(surface, "silent" if not value else f"{float(value):.0f} Hz", (rect.left, rect.top),
               colour)


_PAINTERS = {"led": _paint_led, "rgb_led": _paint_rgb, "pixels": _paint_pixels, "relay": _paint_relay,
             "servo": _paint_servo, "buzzer": _paint_tone}
