"""TagReader (RFID/NFC, MFRC522, PN532...): `placed` and `removed`, with the tag id.

Readers lose a tag for a moment now and then (a tilted object, a hand over the
antenna), so a tag is reported `removed` only after it has been gone for
`removal_delay` seconds; if it comes back sooner nothing happens. A different
tag arriving counts at once: `removed` for the old one, then `placed`.

`tags = {"04A3B2" = "owl"}` gives tags friendly names. Event values stay the
tag id (what a rule matches on); the name is in the state, and in
`reader.tag_name` for a behaviour. Ids match names regardless of upper/lower case.

On a Raspberry Pi (the gpio backend) the reader is an RC522 on SPI0: its SDA to CE0
(GPIO8) or CE1 (GPIO7, `spi = "CE1"`), and `pin` is its RST pin (leave it out if RST
is tied to 3.3 V); `reader = "pn532"` is a PN532 on I2C1 (address 0x24). It is read
every `poll` seconds; a reader that stops answering
makes the device `offline`, and `online` again when it is back. A USB reader that
types the id (`reader = "hid"`, `device` = its /dev/input/by-id name) is grabbed, so its
digits never reach the kiosk; what it types that is not a whole id is dropped.
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import InputChannel
from museokit.core.device import Device
from museokit.core.options import Option


class TagReader(Device):
    kind = "tag_reader"
    role = "input"
    summary = "an RFID/NFC reader: a tag (by its id) placed on it or taken away"
    events = ("placed", "removed")
    sim_actions = ("tag",)
    signals = ("tag",)
    wiring = {"gpio": "RC522 on SPI0: SDA to CE0 (GPIO8) or CE1 (GPIO7), SCK GPIO11, MOSI "
                      "GPIO10, MISO GPIO9, RST to `pin`, 3.3 V only; a PN532 on I2C1 (SDA GPIO2, "
                      "SCL GPIO3) with `reader = \"pn532\"`; a USB reader that types the id with "
                      "`reader = \"hid\"` and `device`"}
    example = ('[[devices]]\nid = "reader"\nkind = "tag_reader"   # an RC522 on SPI0\n'
               'spi = "CE0"\npin = 25               # GPIO25 to RST\ntags = { "04A3B2" = "owl" }\n')
    options = {
        "removal_delay": Option(float, 0.5, "seconds a tag must be gone before `removed`, so a "
                                "tag that flickers out of range is not reported", min=0, max=10),
        "tags": Option(dict, {}, 'friendly names for tag ids: tags = {"04A3B2" = "owl"}',
                       item=str),
        "reader": Option(str, "rc522", "the reader: rc522 (on SPI0), pn532 (on I2C) or hid (a "
                         "USB reader that types the id, through evdev)",
                         choices=("rc522", "pn532", "hid")),
        "device": Option(str, "", "a hid reader's name in /dev/input/by-id (or part of it)"),
        "spi": Option(str, "CE0", "the SPI0 chip-select the RC522's SDA is wired to",
                      choices=("CE0", "CE1")),
        "poll": Option(float, 0.1, "seconds between two reads of the reader", min=0.02, max=5),
        "id_from": Option(str, "uid", "uid: a tag is known by its UID; text: by the text of its "
                          "first NDEF text record (as Museum in a Box writes object ids), its UID "
                          "if it has none (RC522, NTAG/Ultralight tags)", choices=("uid", "text")),
    }

    def open(self) -> None:
        self.channel: InputChannel = self.open_input(
            "tag", **{key: self.opts[key] for key in ("reader", "spi", "poll", "device", "id_from")})
        self._names = {tag_id.upper(): name for tag_id, name in self.opts["tags"].items()}
        self._tag: str | None = None
        self._removing = False
        self.set_state(label="empty", tag=None, name=None)

    @property
    def tag(self) -> str | None:
        """The id of the tag on the reader, or None."""
        return self._tag

    value = tag

    @property
    def tag_name(self) -> str | None:
        """The friendly name of the tag on the reader (from `tags`), or None."""
        return None if self._tag is None else self._names.get(self._tag.upper())

    @property
    def is_active(self) -> bool:
        return self._tag is not None

    def on_input(self, value: Any) -> None:
        tag = str(value).strip() if value is not None else ""
        if not tag:
            # Readers may repeat "no tag" on every poll: start the countdown only once.
            if self._tag is not None and not self._removing:
                self._removing = True
                self.later("removal", self.opts["removal_delay"], self._removed)
            return
        self.cancel("removal")
        self._removing = False
        if tag == self._tag:
            return
        if self._tag is not None:
            self._removed()
        self._tag = tag
        self.set_state(label="present", tag=tag, name=self.tag_name)
        self.emit("placed", tag)

    def _removed(self) -> None:
        tag, self._tag, self._removing = self._tag, None, False
        self.set_state(label="empty", tag=None, name=None)
        self.emit("removed", tag)

    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        """`tag ID` puts a tag on the reader; `tag none` (or no id) takes it away."""
        if arg is None or arg.strip().lower() in ("", "none"):
            return [None]
        return [arg.strip()]
