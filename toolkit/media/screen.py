"""Screen: a monitor or projector showing images, slideshows, seamless video loops and text,
returning to its attract loop when triggered content ends.

Commands run on the runtime loop and only swap the current scene (under a lock);
the display host (or the simulator window, or a test) calls `draw(surface)` from
its own thread, which renders that scene at the clock's time. Media are decoded
in the command itself (or were preloaded), so a trigger's first frame is ready
at the next display refresh, and a bad file is found there and then: one log
line, `screen.error`, and the attract loop (or blank, if the attract loop is
what failed) instead.

A video's soundtrack is a sound file of the same name beside it (film.mp4 and
film.ogg or film.wav): OpenCV decodes no audio, and a sidecar needs no second
decoder, streams from disk through the pygame mixer, and is made once with
`ffmpeg -i film.mp4 -vn film.ogg`. It starts on the same clock instant as the
video's frame 0 and restarts at each loop seam, so the two cannot drift apart
by more than the sound card's clock over one pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pygame

from museokit.core.device import CommandError, command
from museokit.core.options import SECONDS, Option
from museokit.media import text as texts
from museokit.media.device import MediaDevice
from museokit.media.files import MediaError, kind_of, resolve, sidecar
from museokit.media.mixer import load_sound
from museokit.media.scenes import ImageScene, Scene, SlideshowScene, Style, TextScene, VideoScene
from museokit.media.store import MediaStore

log = logging.getLogger("museokit.media")

ROTATIONS = (0, 90, 180, 270)
#: What `then=` accepts besides a media file name.
THEN_WORDS = ("attract", "blank", "stay")


class Screen(MediaDevice):
    kind = "screen"
    wiring = {"HDMI": "the Pi's HDMI port (micro-HDMI on a Pi 4/5) to the screen or projector; "
                      "`width`/`height` its resolution"}
    summary = "a screen or projector (HDMI): images, slideshows, seamless video, text, attract loop"
    media_commands = ("show", "play", "slideshow")
    media_options = ("attract",)
    options = {
        "width": Option(int, 1920, "pixels across the screen", min=16, max=7680),
        "height": Option(int, 1080, "pixels down the screen", min=16, max=4320),
        "rotate": Option(int, 0, "degrees the screen is turned clockwise: 0, 90, 180 or 270 "
                                 "(90 or 270 for a portrait-mounted screen)"),
        "fit": Option(str, "fit", "fit: whole picture, bars where shapes differ; fill: cover the "
                                  "screen, cropping", choices=("fit", "fill")),
        "attract": Option(list, [], "what shows while nobody is there: one image or video (looped), "
                                    "or several images (a slideshow)"),
        "captions": Option(dict, {}, "a caption per media file, shown over it", item=str),
        "interval": Option(float, 6.0, "seconds each slide of a slideshow stays", min=0.1),
        "transition": Option(str, "fade", "between slides", choices=("fade", "cut")),
        "fade": Option(float, 1.0, "seconds a fade between slides lasts", min=0),
        "background": Option("color", (0, 0, 0), "colour around pictures and behind text"),
        "text_color": Option("color", (255, 255, 255), "colour of text and captions"),
        "font": Option(str, "", "a .ttf/.otf file for text (default DejaVu Sans: French, "
                                "accented and most European scripts)"),
    }

    def open(self) -> None:
        super().open()
        o = self.opts
        self.rotation = o["rotate"]
        self.size = (o["width"], o["height"])
        #: The picture's own shape: a portrait screen's content is taller than wide.
        self.canvas_size = self.size[::-1] if self.rotation in (90, 270) else self.size
        font = texts.default_font()
        if o["font"]:
            try:
                font = str(resolve(self.ctx.folder, o["font"]))
            except MediaError as exc:
                self.report(o["font"], f"font: {exc}; using DejaVu Sans")
        self.style = Style(o["fit"], o["background"], o["text_color"], font)
        self.store = MediaStore(self.ctx.folder, self.canvas_size, self._on_short)
        self._lock = threading.Lock()
        self._scene: Scene = Scene(self.style)
        self._rotated: dict[tuple[int, int], pygame.Surface] = {}
        self._soundtrack = False
        self._then = "stay"
        self.set_state(label="blank", shows=None, attract=False)
        self._presented = False  # nothing shown yet: the start goes to the attract loop

    def close(self) -> None:
        super().close()
        self._stop_soundtrack()
        with self._lock:
            self._scene.close()
        self.store.close()

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> list[tuple[str, str]]:
        problems = []
        if opts["rotate"] not in ROTATIONS:
            problems.append(("rotate", f"rotate must be 0, 90, 180 or 270, got {opts['rotate']!r}"))
        attract = opts["attract"]
        if not all(isinstance(a, str) and kind_of(a) in ("image", "video") for a in attract):
            problems.append(("attract", "attract lists image or video files, like "
                                        '["welcome.png"] or ["loop.mp4"]'))
        elif len(attract) > 1 and any(kind_of(a) == "video" for a in attract):
            problems.append(("attract", "several attract items must all be images (a slideshow); "
                                        "for videos, join them into one file"))
        if opts["transition"] == "fade" and opts["fade"] >= opts["interval"]:
            problems.append(("fade", f"a fade of {opts['fade']:g}s does not fit in slides of "
                                     f"{opts['interval']:g}s: make it shorter than interval"))
        return problems

    # -- drawing (any thread) -------------------------------------------------------------
    def draw(self, target: pygame.Surface) -> None:
        """Render what the screen shows now into `target`, scaled to its size.

        Safe from any thread while the loop changes scenes. On the virtual clock a
        video frame not decoded yet is waited for, so what is drawn depends only on
        the clock; in real time the last decoded frame stays instead.
        """
        with self._lock:
            scene = self._scene
        t = self.clock.monotonic()
        wait = self.clock.virtual
        if self.rotation == 0:
            scene.render(target, t, wait)
            return
        w, h = target.get_size()
        canvas = self._rotated.get((w, h))
        if canvas is None:
            canvas = pygame.Surface((w, h) if self.rotation == 180 else (h, w), 0, target)
            self._rotated = {(w, h): canvas}
        scene.render(canvas, t, wait)
        target.blit(pygame.transform.rotate(canvas, self.rotation), (0, 0))

    @property
    def scene(self) -> Scene:
        """The scene on screen (tests read a video scene's `shown` frame index)."""
        with self._lock:
            return self._scene

    # -- commands -------------------------------------------------------------------------
    @command
    def show(self, path: str, fit: str | None = None, seconds: float | None = None,
             then: str = "attract", caption: str | None = None) -> None:
        """Show an image; after `seconds` (if given) go on to `then`."""
        fit = _choice("fit", fit, ("fit", "fill"))
        duration = None if seconds is None else SECONDS.check("seconds", seconds, CommandError)
        self._attempt(path, lambda: ImageScene(self.store.image(path), self.style, fit,
                                               self._caption(path, caption)),
                      "image", path, then=_then(then), duration=duration)

    @command
    def play(self, path: str, then: str = "attract", loop: bool = False,
             caption: str | None = None) -> None:
        """Play a video (with its sidecar soundtrack); when it ends, go on to `then`."""
        self._play(path, _then(then), loop, caption, attract=False)

    @command
    def slideshow(self, *items: Any, interval: float | None = None, transition: str | None = None,
                  loop: bool = True, then: str = "attract") -> None:
        """Show images one after another (a list, or several arguments)."""
        names = [str(n) for n in _flatten(items)]
        if not names:
            raise CommandError("slideshow needs at least one image")
        every = self.opts["interval"] if interval is None else SECONDS.check(
            "interval", interval, CommandError)
        cut = _choice("transition", transition, ("fade", "cut")) or self.opts["transition"]
        self._slideshow(names, every, cut, loop, _then(then), attract=False)

    @command
    def text(self, text: str, size: int = 64, color: Any = None, background: Any = None,
             seconds: float | None = None, then: str = "attract") -> None:
        """Show text, wrapped and centred; `size` is in pixels on a 1080-line screen."""
        from museokit.core.colors import parse_color

        try:
            fg = self.style.text_color if color is None else parse_color(color)
            bg = self.style.background if background is None else parse_color(background)
        except ValueError as exc:
            raise CommandError(f"text: {exc}") from None
        missing = texts.missing_glyphs(self.style.font, str(text))
        if missing:
            log.warning("%s: the font %s has no %r — set `font` on the screen to a font that has "
                        "them", self.id, self.style.font or "(pygame's default)", missing)
        duration = None if seconds is None else SECONDS.check("seconds", seconds, CommandError)
        label = str(text)
        self._present(TextScene(label, int(size), fg, bg, self.style), "text", label,
                      then=_then(then), duration=duration)

    @command
    def attract(self) -> None:
        """Go to the attract loop (the `attract` option; blank if it has none)."""
        items = list(self.opts["attract"])
        if not items:
            self._present(Scene(self.style), "blank", None, attract=True)
        elif len(items) > 1:
            self._slideshow(items, self.opts["interval"], self.opts["transition"], True, "stay",
                            attract=True)
        elif kind_of(items[0]) == "video":
            self._play(items[0], "stay", True, None, attract=True)
        else:
            name = items[0]
            self._attempt(name, lambda: ImageScene(self.store.image(name), self.style,
                                                   caption=self._caption(name, None)),
                          "image", name, attract=True)

    @command
    def blank(self) -> None:
        """Show only the background colour."""
        self._present(Scene(self.style), "blank", None)

    @command
    def preload(self, *items: Any) -> None:
        """Decode images and open videos now, so showing them later takes no time."""
        for name in _flatten(items):
            self.preload_media(str(name), loops=False)

    # -- outside opening hours (issue 3's hooks) --------------------------------------------
    def sleep(self) -> None:
        self.blank()  # before the base hook: commands do nothing once asleep
        super().sleep()

    def wake(self) -> None:
        super().wake()
        self.attract()

    # -- internals --------------------------------------------------------------------------
    def begin(self) -> bool:
        # The first state's handlers run before this: what they showed stays.
        if not self._presented:
            self.attract()
        return True

    def preload_media(self, name: str, loops: bool) -> None:
        try:
            self.store.preload(name, loops)
        except MediaError as exc:
            self.report(name, str(exc))

    def _play(self, path: str, then: str, loop: bool, caption: str | None, attract: bool) -> None:
        def scene() -> Scene:
            source = self.store.video(path, loop)
            return VideoScene(source, self.clock.monotonic(), self.style, None,
                              self._caption(path, caption))

        made = self._attempt(path, scene, "video", path, then=then, attract=attract)
        if isinstance(made, VideoScene):
            source = made.source
            if not loop and source.duration:
                self.later("end", source.duration, self._ended, path, then)
            self._start_soundtrack(path, source.duration if loop else None)
            if not attract:
                self.preload_media(path, loop)  # ready again for the next visitor

    def _slideshow(self, names: list[str], interval: float, transition: str, loop: bool, then: str,
                   attract: bool) -> None:
        fade = self.opts["fade"] if transition == "fade" else 0.0

        def scene() -> Scene:
            images = [self.store.image(n) for n in names]
            return SlideshowScene(images, [self._caption(n, None) for n in names],
                                  self.clock.monotonic(), interval, min(fade, interval * 0.9),
                                  loop, self.style)

        made = self._attempt(names[0], scene, "slideshow", names[0], then=then, attract=attract,
                             duration=None if loop else interval * len(names))
        if made is not None and len(names) > 1:
            self._timers["slide"] = self.ctx.loop.call_every(
                interval, self._next_slide, made, names, name=f"{self.id} slideshow")

    def _next_slide(self, scene: SlideshowScene, names: list[str]) -> None:
        n, _ = scene.slide_at(self.clock.monotonic())
        self.set_state(shows=names[n % len(names)])

    def _attempt(self, name: str, make: Callable[[], Scene], label: str, shows: str | None,
                 then: str = "stay", duration: float | None = None,
                 attract: bool = False) -> Scene | None:
        """Build a scene and put it on screen, or report why not and fall back."""
        try:
            scene = make()
        except MediaError as exc:
            self.report(name, str(exc))
            self.emit("error", str(exc))
            if attract:
                self._present(Scene(self.style), "blank", None, attract=True)
            else:
                self.attract()
            return None
        self._present(scene, label, shows, then=then, duration=duration, attract=attract)
        return scene

    def _present(self, scene: Scene, label: str, shows: str | None, *, then: str = "stay",
                 duration: float | None = None, attract: bool = False) -> None:
        for key in ("end", "slide", "soundtrack"):
            self.cancel(key)
        self._stop_soundtrack()
        with self._lock:
            old, self._scene = self._scene, scene
        old.close()  # it keeps its last frame, should a draw still hold it
        self._presented = True
        self._then = then
        self.set_state(label=label, shows=shows, attract=attract)
        if shows is not None:
            self.emit("started", shows)
        if duration is not None:
            self.later("end", duration, self._ended, shows, then)

    def _ended(self, shows: str | None, then: str) -> None:
        self.emit("finished", shows)
        if then == "attract":
            self.attract()
        elif then == "blank":
            self.blank()
        elif then != "stay":
            self._go_to(then)

    def _go_to(self, name: str) -> None:
        if kind_of(name) == "video":
            self.play(name)
        else:
            self.show(name)

    def _caption(self, name: str, given: str | None) -> str | None:
        return given if given is not None else self.opts["captions"].get(name)

    def _on_short(self, name: str, decoded: int, expected: int) -> None:
        """From a decoder thread: a video ended before its header said it would."""
        self.ctx.loop.call_soon_threadsafe(self._video_short, name, decoded, expected)

    def _video_short(self, name: str, decoded: int, expected: int) -> None:
        if expected:
            self.report(name, f"{name}: only {decoded} of its {expected} frames decode — the file is "
                               "truncated or damaged; copy or export it again")
        scene = self.scene
        if isinstance(scene, VideoScene) and scene.source.name == name and not scene.source.loop:
            end = scene.start + decoded / scene.source.fps
            self.later("end", max(0.0, end - self.clock.monotonic()), self._ended, name, self._then)

    # -- soundtracks ------------------------------------------------------------------------
    def _start_soundtrack(self, name: str, loop_seconds: float | None) -> None:
        try:
            track = sidecar(resolve(self.ctx.folder, name))
        except MediaError:
            return
        if track is None:
            return
        try:
            load_sound(track, track.name, stream=True)
            pygame.mixer.music.play()
        except (MediaError, pygame.error) as exc:
            self.report(str(track), f"{exc} (the video plays silent)")
            return
        self._soundtrack = True
        if loop_seconds:
            self._timers["soundtrack"] = self.ctx.loop.call_every(
                loop_seconds, pygame.mixer.music.play, name=f"{self.id} soundtrack at the loop seam")

    def _stop_soundtrack(self) -> None:
        if self._soundtrack:
            self._soundtrack = False
            pygame.mixer.music.stop()


def _flatten(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out += _flatten(item) if isinstance(item, list | tuple) else [item]
    return out


def _choice(name: str, value: str | None, choices: tuple[str, ...]) -> str | None:
    if value is not None and value not in choices:
        raise CommandError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def _then(value: str) -> str:
    """`then=`: attract, blank, stay, or the media file to go on to."""
    if value in THEN_WORDS or kind_of(str(value)) in ("image", "video"):
        return value
    raise CommandError(f"then: expected {', '.join(THEN_WORDS)} or an image or video file, "
                       f"got {value!r}")
