"""Sound: sound files on a speaker (or HDMI audio), several at once on numbered channels.

    sound.play("bell.wav")                 # on the first free channel
    sound.loop("rain.ogg", channel=0)      # forever, until stop
    sound.volume(0.5, channel=0)
    sound.stop()                           # every channel (or channel=N)

Sounds are decoded into memory when first played (or when the installation
starts, for those it names), so they start at once. When a sound that does not
loop ends, `sound.finished` carries its name; the end is timed on the runtime's
clock, from the sound's length, so it comes at the same moment in a scenario on
the virtual clock. Without a sound output the device goes offline (one log
line) and the installation carries on, silent.
"""

from __future__ import annotations

import logging
from typing import Any

import pygame

from museokit.core.device import CommandError, command
from museokit.core.options import Option
from museokit.media.device import MediaDevice
from museokit.media.files import MediaError, resolve
from museokit.media.mixer import get_mixer, load_sound

log = logging.getLogger("museokit.media")

LEVEL = Option(float, 1.0, "volume, 0..1", min=0, max=1)


class Sound(MediaDevice):
    kind = "sound"
    wiring = {"audio": "the Pi's 3.5 mm jack, a USB sound card or HDMI audio: the system's "
                       "default output (`museokit doctor` checks it)"}
    summary = "a speaker (jack, USB or HDMI audio): sound files on several channels"
    media_commands = ("play", "loop")
    options = {
        "channels": Option(int, 8, "sounds that can play at once", min=1, max=64),
        "volume": Option(float, 1.0, "starting volume of every channel, 0..1", min=0, max=1),
    }

    def open(self) -> None:
        super().open()
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        self._playing: dict[int, str] = {}
        self._volumes = [float(self.opts["volume"])] * int(self.opts["channels"])
        self.set_state(label="silent", playing={})

    def close(self) -> None:
        super().close()
        if pygame.mixer.get_init():
            for channel in self._playing:
                pygame.mixer.Channel(channel).stop()
        self._playing.clear()

    # -- commands -------------------------------------------------------------------------
    @command
    def play(self, path: str, channel: int | None = None, volume: float | None = None,
             loop: bool = False) -> None:
        """Play a sound file once (or looping) on `channel`, or on the first free one."""
        number = self._channel(channel)
        sound = self._sound(path)
        if sound is None:
            return
        level = self._volumes[number] if volume is None else LEVEL.check("volume", volume, CommandError)
        self.cancel(f"end {number}")
        mixer_channel = pygame.mixer.Channel(number)
        mixer_channel.set_volume(level)
        mixer_channel.play(sound, loops=-1 if loop else 0)
        self._playing[number] = path
        self._publish()
        self.emit("started", path)
        if not loop:
            self.later(f"end {number}", sound.get_length(), self._ended, number, path)

    @command
    def loop(self, path: str, channel: int | None = None, volume: float | None = None) -> None:
        """Play a sound file over and over until `stop`."""
        self.play(path, channel, volume, loop=True)

    @command
    def stop(self, channel: int | None = None) -> None:
        """Stop one channel, or every channel."""
        numbers = list(self._playing) if channel is None else [self._channel(channel)]
        for number in numbers:
            self.cancel(f"end {number}")
            if pygame.mixer.get_init():
                pygame.mixer.Channel(number).stop()
            self._playing.pop(number, None)
        self._publish()

    @command
    def volume(self, level: float, channel: int | None = None) -> None:
        """Set the volume (0..1) of one channel, or of every channel."""
        level = LEVEL.check("level", level, CommandError)
        numbers = range(len(self._volumes)) if channel is None else [self._channel(channel)]
        for number in numbers:
            self._volumes[number] = level
            if pygame.mixer.get_init():
                pygame.mixer.Channel(number).set_volume(level)
        self.set_state(volumes=list(self._volumes))

    # -- outside opening hours (issue 3's hooks) --------------------------------------------
    def sleep(self) -> None:
        self.stop()  # before the base hook: commands do nothing once asleep
        super().sleep()

    # -- internals --------------------------------------------------------------------------
    def begin(self) -> bool:
        """Start the mixer; without a sound output, go offline (one log line)."""
        try:
            get_mixer(len(self._volumes))
        except MediaError as exc:
            log.error("%s: %s", self.id, exc)
            self.set_online(False, str(exc))
            return False
        return True

    def preload_media(self, name: str, loops: bool) -> None:
        self._sound(name, announce=False)

    def _channel(self, channel: int | None) -> int:
        count = len(self._volumes)
        if channel is None:
            free = [n for n in range(count) if n not in self._playing]
            return free[0] if free else min(self._playing)  # all busy: reuse the oldest number
        if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel < count:
            raise CommandError(f"channel: expected a whole number from 0 to {count - 1}, got "
                               f"{channel!r} (the device has `channels = {count}`)")
        return channel

    def _sound(self, path: str, announce: bool = True) -> Any:
        """The decoded sound, or None after one log line and `sound.error`."""
        if path in self._sounds:
            return self._sounds[path]
        try:
            if not self.is_online:
                raise MediaError("no sound output (the device is offline)")
            get_mixer(len(self._volumes))
            sound = load_sound(resolve(self.ctx.folder, path), path)
        except MediaError as exc:
            self.report(path, str(exc))
            if announce:
                self.emit("error", str(exc))
            return None
        self._sounds[path] = sound
        return sound

    def _ended(self, number: int, path: str) -> None:
        self._playing.pop(number, None)
        self._publish()
        self.emit("finished", path)

    def _publish(self) -> None:
        self.set_state(label="playing" if self._playing else "silent",
                       playing={str(n): p for n, p in sorted(self._playing.items())})
