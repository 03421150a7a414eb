"""PN532 (NXP, on the red/blue "PN532 NFC" boards): ISO 14443A card UIDs over I2C.

museokit's own small driver, from NXP's user manual UM0701-02: information frames
`00 00 FF LEN LCS D4 CMD DATA DCS 00` written to address 0x24; every read starts with a
status byte whose bit 0 says the PN532 is ready; each command is acknowledged
(`00 00 FF 00 FF 00`) before its answer comes. It talks through `write(bytes)` and
`read(count) -> bytes` (smbus2's i2c_rdwr on the Pi, a model of the chip in tests).

`init()` checks the firmware answers as a PN532 (IC 0x32), puts the SAM in normal mode
and makes InListPassiveTarget try once, so a poll without a card returns at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from museokit.backends.chips import ChipSilent

ADDRESS = 0x24
ACK = bytes([0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00])
GET_FIRMWARE, SAM_CONFIGURATION, RF_CONFIGURATION, IN_LIST_PASSIVE_TARGET = 0x02, 0x14, 0x32, 0x4A
HOST, CHIP = 0xD4, 0xD5  # frame identifiers: host to PN532, PN532 to host


class FrameError(OSError):
    """An answer that is not a well-formed frame: bad checksum, wrong command."""


def frame(data: bytes) -> bytes:
    """`data` (TFI, command, parameters) as an information frame."""
    length = len(data)
    return bytes([0x00, 0x00, 0xFF, length, (-length) & 0xFF, *data, (-sum(data)) & 0xFF, 0x00])


def unframe(raw: bytes) -> bytes:
    """The TFI, command and data of an information frame; FrameError if it is not one."""
    start = raw.find(b"\x00\xff")
    if start < 0 or len(raw) < start + 4:
        raise FrameError("no frame start")
    length, lcs = raw[start + 2], raw[start + 3]
    if (length + lcs) & 0xFF:
        raise FrameError("length checksum")
    data = raw[start + 4:start + 4 + length]
    if len(data) != length or len(raw) < start + 5 + length or \
            (sum(data) + raw[start + 4 + length]) & 0xFF:
        raise FrameError("data checksum")
    return bytes(data)


class Pn532:
    def __init__(self, write: Callable[[bytes], None], read: Callable[[int], bytes],
                 timeout: float = 0.5) -> None:
        self.write = write
        self.read = read
        self.timeout = timeout

    def _ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self.read(1)[0] & 0x01:
            if time.monotonic() > deadline:
                raise ChipSilent("it does not say it is ready")
            time.sleep(0.002)

    def command(self, command: int, params: bytes = b"", answer: int = 32) -> bytes:
        """Send a command, return the data of its answer (after TFI and command code)."""
        self.write(frame(bytes([HOST, command, *params])))
        self._ready()
        if self.read(len(ACK) + 1)[1:] != ACK:
            raise FrameError(f"command {command:#04x} not acknowledged")
        self._ready()
        data = unframe(self.read(answer + 1)[1:])
        if data[:2] != bytes([CHIP, command + 1]):
            raise FrameError(f"answer to {command:#04x} is for {data[1:2].hex() or 'nothing'}")
        return data[2:]

    def init(self) -> bytes:
        """Check the chip and set it up; returns its firmware (IC, version, revision, support)."""
        try:
            firmware = self.command(GET_FIRMWARE, answer=12)
        except FrameError as exc:
            raise ChipSilent(f"no PN532 firmware answer ({exc})") from None
        if firmware[:1] != b"\x32":
            raise ChipSilent(f"the chip at {ADDRESS:#04x} is not a PN532 ({firmware.hex()})")
        self.command(SAM_CONFIGURATION, bytes([0x01, 0x14, 0x01]))  # normal mode, no SAM
        self.command(RF_CONFIGURATION, bytes([0x05, 0xFF, 0x01, 0x01]))  # one passive try
        return firmware

    def read_uid(self) -> str | None:
        """The UID of the ISO 14443A card in the field (upper-case hex), or None."""
        data = self.command(IN_LIST_PASSIVE_TARGET, bytes([0x01, 0x00]), answer=40)
        if not data or data[0] == 0:
            return None
        # NbTg, Tg, SENS_RES (2), SEL_RES, NFCID length, NFCID...
        length = data[5]
        uid = data[6:6 + length]
        if len(uid) != length:
            raise FrameError("a cut-short target")
        return uid.hex().upper()
