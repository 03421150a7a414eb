"""The `camera` device: a camera that watches zones and emits events like any sensor.

    [[devices]]
    id = "cam"
    kind = "camera"
    source = 0                      # first USB webcam; "picamera"; "visitor.mp4"
    sim_source = "scenarios/visitor.mp4"   # what `museokit sim` watches instead
    resolution = [640, 480]         # processing size
    fps = 10                        # frames processed per second

    [devices.zones]
    plinth = [[0.3, 0.5], [0.7, 0.5], [0.7, 1.0], [0.3, 1.0]]

    [[devices.triggers]]
    kind = "marker"

Events come from the triggers (`cam.marker_placed`, `cam.motion`, ...), plus
`cam.offline` / `cam.online` when the camera goes away and comes back. A camera
missing at start does not stop the installation: one message says so, and it
is retried every `retry` seconds. Frames stay in memory: nothing is stored
unless `save_frames` names a folder.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from museokit.core import plugins
from museokit.core.device import CommandError, Device, OptionKey
from museokit.core.options import Option, OptionError
from museokit.core.suggest import suggest
from museokit.vision.cv import Frame, cv2
from museokit.vision.drivers import SteppedDriver, ThreadedDriver
from museokit.vision.pipeline import Pipeline, Processed, annotate
from museokit.vision.sources import FrameSource, describe_spec, open_source
from museokit.vision.trigger import Sighting, Trigger
from museokit.vision.visitor_sightings import VisitorSightings, parse_sighting
from museokit.vision.zones import UNITS, WHOLE_FRAME, build_zones, check_zones

log = logging.getLogger("museokit.vision")

TriggerSpec = tuple[type[Trigger], dict[str, Any], list[str]]
Problems = list[tuple[OptionKey, str]]


@dataclass(frozen=True)
class SourceOption(Option):
    """A webcam number, "picamera" or a video file: a number or a text."""

    def expected(self) -> str:
        return 'a webcam number (0), "usb:1", "picamera" or a video file'

    def convert(self, raw: Any) -> Any:
        problem = describe_spec(raw)
        if problem:
            raise OptionError(problem)
        return raw


def _trigger_events() -> tuple[str, ...]:
    """Every event a registered trigger can emit: what rules may name on a camera."""
    events: dict[str, None] = {}
    for name in plugins.registered(plugins.TRIGGERS):
        try:
            events.update(dict.fromkeys(plugins.load(plugins.TRIGGERS, name).events))
        except plugins.PluginError as exc:
            log.warning("%s", exc)  # a broken third-party trigger; reported again if used
    return tuple(events)


class Camera(Device):
    kind = "camera"
    role = "input"
    pins = ()
    wiring = {"webcam": "a USB webcam: `source = 0` (the first), 1, …",
              "Pi camera": "the ribbon camera on the CSI port: `source = \"picamera\"`",
              "file": "a video file, for tests and `museokit sim`: `sim_source = \"visitors.mp4\"`"}
    summary = "a camera watching zones: motion, presence, markers, QR codes, colours"
    events = _trigger_events()
    #: In the simulator: `show cam marker 7`, `hide cam marker 7` (see visitor_sightings).
    sim_actions = ("show", "hide")
    options: ClassVar[dict[str, Option]] = {
        "source": SourceOption("source", 0, "the camera: a webcam number (0 is the first), "
                               '"picamera", or a video file played in a loop'),
        "sim_source": SourceOption("source", None, "what the camera watches under `museokit "
                                   "sim` (a video file, or 0 for the laptop's webcam); "
                                   "default: `source`"),
        "resolution": Option(list, [640, 480], "[width, height] the picture is processed at; "
                             "smaller is faster ([320, 240] on a Pi Zero)"),
        "fps": Option(float, 10.0, "pictures processed per second; 5-10 leave a Pi 4 free to "
                      "play video", min=0.2, max=60),
        "zones": Option(dict, {}, "named areas of the picture: name = [[x, y], [x, y], ...]"),
        "zone_units": Option(str, "fraction", "fraction: zone corners from 0 to 1 of the picture; "
                             "pixels: corners in pixels of `resolution`", choices=UNITS),
        "triggers": Option(list, [], "what to watch for: [[devices.triggers]] tables with "
                           "kind = motion, presence, count, marker, qr or colour"),
        "retry": Option(float, 5.0, "seconds between attempts to open a missing camera", min=0.1),
        "background": Option(float, 60.0, "seconds before something that stopped moving counts "
                             "as background (presence, count)", min=1),
        "save_frames": Option(str, "", "a folder to save the annotated picture of every camera "
                              "event in; empty (the default): no picture is ever stored"),
        "debug_window": Option(bool, False, "show the annotated picture in a window (needs a "
                               "desktop and opencv-python instead of opencv-python-headless)"),
    }

    # -- checked before anything starts ----------------------------------------------------
    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> Problems:
        problems: Problems = []
        size = _resolution(opts["resolution"])
        if size is None:
            problems.append(("resolution", f"expected [width, height] in pixels, each 16 to "
                                           f"4096, got {opts['resolution']!r} — for example "
                                           "[640, 480]"))
            size = (640, 480)
        _, zone_problems = check_zones(opts["zones"], opts["zone_units"], size)
        problems += zone_problems
        _, trigger_problems = parse_triggers(opts["triggers"], [*opts["zones"]])
        problems += trigger_problems
        return problems

    # -- lifecycle --------------------------------------------------------------------------
    def open(self) -> None:
        opts = self.opts
        self.size: tuple[int, int] = _resolution(opts["resolution"]) or (640, 480)
        corners, _ = check_zones(opts["zones"], opts["zone_units"], self.size)
        specs, _ = parse_triggers(opts["triggers"], list(corners))
        self.triggers = [cls(trigger_opts, zones) for cls, trigger_opts, zones in specs]
        self.zones = build_zones(corners, self.size)
        self.pipeline = Pipeline(self.triggers, self.zones, self.size,
                                 opts["background"] * opts["fps"], self.id)
        self.source_spec: Any = opts["source"]
        if self.ctx.simulated and opts["sim_source"] is not None:
            self.source_spec = opts["sim_source"]
        self._override: FrameSource | None = None
        self._latest: Processed | None = None
        self._complained = False
        self._bad_logged = False
        self._window = opts["debug_window"]
        self.events_emitted = 0
        self._visitors: VisitorSightings | None = None
        driver_args = (self.ctx.loop, self, self.pipeline, opts["fps"], opts["retry"],
                       f"camera {self.id}")
        self.driver: SteppedDriver | ThreadedDriver = (
            SteppedDriver(*driver_args) if self.clock.virtual
            else ThreadedDriver(*driver_args, show=self._show if self._window else None))
        self.set_state(label="starting", bad_frames=0)
        # Start once the loop runs: `museokit check` opens devices but never touches a camera.
        self.later("start", 0.0, self.driver.start)

    def close(self) -> None:
        super().close()
        driver = getattr(self, "driver", None)
        if driver is not None:
            driver.stop()
        if self._window:
            _close_windows()

    # -- what tests, benchmarks and the simulator use ----------------------------------------
    def use_source(self, source: FrameSource | str | int) -> None:
        """Watch another source from the next frame on (a GeneratedSource, a file, a webcam)."""
        if isinstance(source, FrameSource):
            self._override = source
        else:
            self._override, self.source_spec = None, source
        self.driver.keeper.swap = True

    def make_source(self) -> FrameSource:
        return self._override or open_source(self.source_spec, self.ctx.folder, self.size)

    def debug_frame(self) -> Frame | None:
        """The latest processed picture with zones and detections drawn on it (BGR), or None.

        Safe from any thread; frames never leave the process unless `save_frames` is set.
        """
        latest = self._latest
        return None if latest is None else annotate(latest, self.zones)

    def stats(self) -> dict[str, int]:
        """Frames processed, skipped as corrupt, and dropped because processing was busy."""
        dropped = getattr(self.driver, "slot", None)
        return {"frames": self.pipeline.frames, "bad_frames": self.pipeline.bad_frames,
                "dropped": dropped.dropped if dropped is not None else 0,
                "trigger_errors": self.pipeline.trigger_errors, "events": self.events_emitted}

    # -- driver hooks, on the loop thread ---------------------------------------------------
    def on_processed(self, processed: Processed | None) -> None:
        if self._visitors is not None:  # a frame still in flight when visitors took over
            return
        if processed is None:
            self._bad_frame()
            return
        self._latest = processed
        emitted = self._settle(processed.sightings, processed.t)
        if emitted and self.opts["save_frames"]:
            self._save(processed, emitted)

    def _settle(self, sightings: list[list[Sighting]], t: float) -> list[str]:
        """Each trigger turns what it saw at time `t` into events; the names emitted."""
        emitted = []
        for trigger, seen in zip(self.triggers, sightings, strict=True):
            for name, value in trigger.settle(seen, t):
                self.emit(name, value)
                emitted.append(name)
        self.events_emitted += len(emitted)
        return emitted

    # -- simulated visitors ------------------------------------------------------------------
    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        """`show KIND VALUE` / `hide [KIND VALUE]`: a sighting for the triggers of that kind."""
        sighting = parse_sighting(arg)
        kinds = [t.kind for t in self.triggers]
        if sighting is not None and sighting[0] not in kinds:
            raise CommandError(f"{self.id} has no {sighting[0]!r} trigger; its triggers: "
                               f"{', '.join(kinds) or 'none'} (write `show {self.id} marker 7`)")
        if action == "show" and sighting is None:
            raise CommandError(f"show {self.id} needs what: `show {self.id} marker 7`, "
                               f"`show {self.id} presence ZONE`")
        return [(action, sighting)]

    def on_input(self, value: Any) -> None:
        """A simulated visitor's sighting. From the first one on, the camera stops watching
        frames: what visitors show is all it sees (the simulator says so once)."""
        if self._visitors is None:
            self.driver.stop()
            self._visitors = VisitorSightings(self.ctx.loop, self.triggers, self._settle)
            self.set_state(label="visitors")
            self.set_online(True)
            log.info("camera %r: simulated visitors show it sightings; it no longer watches "
                     "frames", self.id)
        action, sighting = value
        self._visitors.apply(action, sighting)

    def on_unavailable(self, reason: str, hint: str) -> None:
        if self._visitors is not None:
            return
        if not self._complained:
            self._complained = True
            log.error("camera %r: %s — %s; retrying every %gs, the rest of the installation "
                      "runs", self.id, reason, hint, self.opts["retry"])
        else:
            log.debug("camera %r still missing: %s", self.id, reason)
        self.set_state(label="offline")
        self.set_online(False, reason)

    def on_frames(self) -> None:
        if self._visitors is not None:
            return
        if self._complained:
            log.info("camera %r: frames are coming in again", self.id)
        self._complained = False
        self.set_state(label="watching")
        self.set_online(True)

    # -- internals --------------------------------------------------------------------------
    def _bad_frame(self) -> None:
        bad = self.pipeline.bad_frames
        if not self._bad_logged:
            self._bad_logged = True
            log.warning("camera %r: skipped a corrupt or empty frame; bad frames are counted in "
                        "its state (bad_frames), check the cable or the video file if they "
                        "keep coming", self.id)
        self.set_state(bad_frames=bad)

    def _save(self, processed: Processed, emitted: list[str]) -> None:
        folder = Path(self.opts["save_frames"])
        if not folder.is_absolute() and self.ctx.folder is not None:
            folder = self.ctx.folder / folder
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock.time()))
        path = folder / f"{stamp}-{self.id}-{emitted[0]}-{self.events_emitted}.jpg"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(path), annotate(processed, self.zones)):
                raise OSError("OpenCV could not write it")
        except OSError as exc:
            log.error("camera %r: cannot save %s: %s — check save_frames", self.id, path, exc)

    def _show(self, processed: Processed) -> None:
        """The debug window (processing thread); a headless OpenCV turns it off once."""
        try:
            cv2.imshow(f"museokit {self.id}", annotate(processed, self.zones))
            cv2.waitKey(1)
        except cv2.error as exc:
            self._window = False
            self.driver.show = None  # type: ignore[union-attr]
            log.warning("camera %r: debug_window cannot open (%s) — install opencv-python "
                        "instead of opencv-python-headless on a desktop; debug_frame() and "
                        "the simulator still show the picture", self.id, str(exc).strip()[:80])


def _close_windows() -> None:
    with contextlib.suppress(cv2.error):
        cv2.destroyAllWindows()


def _resolution(raw: Any) -> tuple[int, int] | None:
    if (isinstance(raw, list) and len(raw) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 4096 for v in raw)):
        return (raw[0], raw[1])
    return None


def parse_triggers(raw: Any, zone_names: list[str]) -> tuple[list[TriggerSpec], Problems]:
    """The triggers of a camera, with every problem under its key (`triggers[1].threshold`)."""
    known = plugins.registered(plugins.TRIGGERS)
    zones = zone_names or [WHOLE_FRAME]
    specs: list[TriggerSpec] = []
    problems: Problems = []
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        return [], [("triggers", "expected [[devices.triggers]] tables, each with a kind, like "
                                 'kind = "marker"')]
    for i, table in enumerate(raw):
        key: tuple[str | int, ...] = ("triggers", i)
        kind = table.get("kind")
        if kind is not None and not isinstance(kind, str):
            problems.append(((*key, "kind"), f"expected a trigger name in quotes, got {kind!r} — "
                             f"one of {', '.join(sorted(known))}"))
            continue
        if kind not in known:
            hint = suggest(str(kind), known) or f"triggers: {', '.join(sorted(known))}"
            problems.append(((*key, "kind"), f"unknown trigger {kind!r} — {hint}"
                             if kind is not None else f"trigger without a kind — add kind = "
                             f"\"...\", one of {', '.join(sorted(known))}"))
            continue
        try:
            cls: type[Trigger] = plugins.load(plugins.TRIGGERS, kind)
        except plugins.PluginError as exc:
            problems.append(((*key, "kind"), str(exc)))
            continue
        options = cls.all_options()
        opts: dict[str, Any] = {}
        for name, value in table.items():
            if name == "kind":
                continue
            if name not in options:
                problems.append(((*key, name), f"a {kind} trigger has no option {name!r} — "
                                 f"{suggest(name, options) or 'its options: ' + ', '.join(options)}"))
                continue
            try:
                opts[name] = options[name].convert(value)
            except OptionError as exc:
                problems.append(((*key, name), f"{exc} — {options[name].help}"))
        opts = cls.with_defaults(opts)
        watched = opts.get("zones") or zones
        for name in watched:
            if name not in zones and name != WHOLE_FRAME:
                problems.append(((*key, "zones"), f"unknown zone {name!r} — "
                                 f"{suggest(str(name), zones) or 'zones: ' + ', '.join(zones)}"))
        problems += [((*key, name), message) for name, message in cls.check_options(opts)]
        specs.append((cls, opts, list(watched)))
    return specs, problems
