"""What screens and sounds share: no pins, media files named relative to the installation,
`started`/`finished`/`error` events, preloading what the installation names, and one
log line per bad file (an attract loop retrying must not flood the log)."""

from __future__ import annotations

import logging
from typing import ClassVar

from museokit.core.config import Installation
from museokit.core.device import Device
from museokit.media.refs import media_refs

log = logging.getLogger("museokit.media")


class MediaDevice(Device):
    role = "output"
    pins = ()
    events = ("started", "finished", "error")
    #: Commands whose text arguments may name media files (`museokit check` decodes them).
    media_commands: ClassVar[tuple[str, ...]] = ()
    #: Options that name media files.
    media_options: ClassVar[tuple[str, ...]] = ()

    def open(self) -> None:
        self._reported: set[str] = set()
        # Begin once the loop runs: `museokit check` opens devices without running them.
        self.ctx.loop.call_later(0, self._begin, name=f"{self.id} start")

    def _begin(self) -> None:
        if not self.begin():
            return
        installation = self.ctx.installation
        for ref in media_refs(installation) if isinstance(installation, Installation) else []:
            if ref.device == self.id:
                self.preload_media(ref.name, ref.loops)

    def begin(self) -> bool:
        """Start showing or playing, on the loop; False if the device cannot (no output)."""
        return True

    def preload_media(self, name: str, loops: bool) -> None:
        """Decode `name` ahead of use; report (do not raise) a bad file."""

    def report(self, name: str, message: str) -> None:
        """Log a problem with media file `name`, once."""
        if name not in self._reported:
            self._reported.add(name)
            log.error("%s: %s", self.id, message)
