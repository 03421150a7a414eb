"""MFRC522 (the blue "RC522" board): ISO 14443A card UIDs over SPI.

museokit's own small driver, written from NXP's datasheet (MFRC522 rev. 3.9) and
ISO 14443-3: it speaks to the chip through `transfer(bytes_out) -> bytes_in`, which
is gpiozero's SPI interface on the Pi (hardware SPI through lgpio on a Pi 5 or
spidev on older Pis, bit-banged on mock pins in tests).

Each `read_uid()` wakes every card in the field (WUPA, so a card halted by the last
read answers again), runs the anticollision and select loop through up to three
cascade levels (4-, 7- and 10-byte UIDs), and halts the card. The frames' CRC_A is
computed here (ISO 14443-3 annex B) rather than by the chip's coprocessor: it saves
a dozen SPI transfers a read, which is most of a poll's cost on a slow bus. A card
that answers nothing is no card; two cards at once are a `Collision` (the caller
keeps what it had). A chip whose version register reads 0x00 or 0xFF is not there
(`ChipSilent`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from museokit.backends.chips import ChipSilent
from museokit.backends.chips.ndef import FIRST_PAGE, first_text, message_length, ndef_message

Transfer = Callable[[list[int]], list[int]]

# Registers (datasheet §9.2).
COMMAND, COM_IRQ, ERROR, FIFO_DATA, FIFO_LEVEL = 0x01, 0x04, 0x06, 0x09, 0x0A
BIT_FRAMING, COLL, MODE, TX_CONTROL, TX_ASK = 0x0D, 0x0E, 0x11, 0x14, 0x15
T_MODE, T_PRESCALER, T_RELOAD_H, T_RELOAD_L = 0x2A, 0x2B, 0x2C, 0x2D
VERSION = 0x37
# Commands (§10.3).
IDLE, TRANSCEIVE, SOFT_RESET = 0x00, 0x0C, 0x0F
# ComIrqReg bits.
RX_IRQ, IDLE_IRQ, TIMER_IRQ = 0x20, 0x10, 0x01
# ErrorReg bits that spoil a frame: buffer overflow, collision, parity, protocol.
COLL_ERR, FRAME_ERRORS = 0x08, 0x13
# ISO 14443-3 commands.
WUPA, HLTA, CASCADE_TAG, READ = 0x52, 0x50, 0x88, 0x30
SELECT = (0x93, 0x95, 0x97)

#: How long a transceive may take before the chip's own timer has surely fired.
TRANSCEIVE_DEADLINE = 0.05


class Collision(Exception):
    """More than one card answered at once."""


def spi_address(register: int, read: bool) -> int:
    """The address byte of §8.1.2.3: 0 R/W A5..A0 0."""
    return ((register << 1) & 0x7E) | (0x80 if read else 0)


class Mfrc522:
    def __init__(self, transfer: Transfer) -> None:
        self.transfer = transfer

    # -- registers --------------------------------------------------------------------
    def read(self, register: int) -> int:
        return self.transfer([spi_address(register, True), 0])[1]

    def read_many(self, register: int, count: int) -> list[int]:
        address = spi_address(register, True)
        return self.transfer([address] * count + [0])[1:]

    def write(self, register: int, *values: int) -> None:
        self.transfer([spi_address(register, False), *values])

    def set_bits(self, register: int, mask: int) -> None:
        self.write(register, self.read(register) | mask)

    def clear_bits(self, register: int, mask: int) -> None:
        self.write(register, self.read(register) & ~mask & 0xFF)

    # -- set-up -------------------------------------------------------------------------
    def version(self) -> int:
        """The chip's version (0x91, 0x92; clones 0x88, 0x12...); ChipSilent if none."""
        value = self.read(VERSION)
        if value in (0x00, 0xFF):
            raise ChipSilent(f"version register reads {value:#04x}")
        return value

    def init(self) -> int:
        """Soft-reset and configure the chip; returns its version."""
        version = self.version()
        self.write(COMMAND, SOFT_RESET)
        deadline = time.monotonic() + 0.05
        while self.read(COMMAND) & 0x10 and time.monotonic() < deadline:  # PowerDown
            time.sleep(0.001)
        self.write(T_MODE, 0x80)          # timer starts after each transmission
        self.write(T_PRESCALER, 0xA9)     # 13.56 MHz / (2*169+1): 40 kHz, 25 µs a tick
        self.write(T_RELOAD_H, 0x00)
        self.write(T_RELOAD_L, 0xC8)      # 200 ticks: 5 ms without an answer is no card
        self.write(TX_ASK, 0x40)          # 100 % ASK modulation
        self.write(MODE, 0x3D)            # CRC preset 0x6363 (ISO 14443-3 CRC_A)
        self.set_bits(TX_CONTROL, 0x03)   # antenna on (TX1 and TX2)
        self.clear_bits(COLL, 0x80)       # bits received after a collision are cleared
        return version

    # -- frames -------------------------------------------------------------------------
    def transceive(self, data: list[int], last_bits: int = 0) -> list[int] | None:
        """Send a frame (`last_bits`: bits of its last byte, 0 for all 8) and return the
        answer, or None if nothing answered. Raises Collision when cards answered over
        each other."""
        self.write(COMMAND, IDLE)
        self.write(COM_IRQ, 0x7F)
        self.write(FIFO_LEVEL, 0x80)       # flush
        self.write(FIFO_DATA, *data)
        self.write(COMMAND, TRANSCEIVE)
        self.write(BIT_FRAMING, 0x80 | last_bits)  # StartSend
        deadline = time.monotonic() + TRANSCEIVE_DEADLINE
        while True:
            irq = self.read(COM_IRQ)
            if irq & (RX_IRQ | IDLE_IRQ):
                break
            if irq & TIMER_IRQ or time.monotonic() > deadline:
                return None
        error = self.read(ERROR)
        if error & COLL_ERR:
            raise Collision()
        if error & FRAME_ERRORS:
            return None
        count = self.read(FIFO_LEVEL) & 0x7F
        return self.read_many(FIFO_DATA, count) if count else []

    # -- cards --------------------------------------------------------------------------
    def read_uid(self) -> str | None:
        """The UID of the card on the reader (upper-case hex), or None."""
        tag = self.read_tag(None)
        return None if tag is None else tag[0]

    def read_tag(self, texts: dict[str, str | None] | None) -> tuple[str, str | None] | None:
        """(UID, the text of its first NDEF text record), or None. The text is read only when
        `texts` (UID -> text, kept by the caller while the tag stays) does not have it yet."""
        atqa = self.transceive([WUPA], last_bits=7)
        if atqa is None or len(atqa) != 2:
            return None
        uid: list[int] = []
        for select in SELECT:
            part = self.transceive([select, 0x20])
            if part is None or len(part) != 5:
                return None
            if part[0] ^ part[1] ^ part[2] ^ part[3] != part[4]:
                return None  # a damaged frame (BCC): try again at the next poll
            frame = [select, 0x70, *part]
            sak = self.transceive(frame + crc_a(frame))
            if sak is None or len(sak) != 3 or crc_a(sak[:1]) != sak[1:]:
                return None
            if part[0] == CASCADE_TAG and sak[0] & 0x04:
                uid += part[1:4]
                continue
            uid += part[:4]
            break
        else:
            return None
        hex_uid = "".join(f"{b:02X}" for b in uid)
        if texts is not None and hex_uid not in texts:
            texts[hex_uid] = self.read_text()
        halt = [HLTA, 0x00]
        self.transceive(halt + crc_a(halt))  # a halted card answers only the next WUPA
        return hex_uid, None if texts is None else texts[hex_uid]

    def read_pages(self, page: int) -> bytes | None:
        """Four pages (16 bytes) of a Type 2 tag from `page`, or None."""
        frame = [READ, page]
        answer = self.transceive(frame + crc_a(frame))
        if answer is None or len(answer) != 18 or crc_a(answer[:16]) != answer[16:]:
            return None
        return bytes(answer[:16])

    def read_text(self, limit: int = 256) -> str | None:
        """The first NDEF text record of the selected card (a Type 2 tag), or None."""
        memory = b""
        need: int | None = 16
        while need is not None and len(memory) < min(need, limit):
            chunk = self.read_pages(FIRST_PAGE + len(memory) // 4)
            if chunk is None:
                return None
            memory += chunk
            need = message_length(memory)
        message = ndef_message(memory)
        return None if message is None else first_text(message)


def crc_a(data: list[int]) -> list[int]:
    """ISO 14443-3 CRC_A (preset 0x6363, CRC-16/CCITT reflected), low byte first."""
    crc = 0x6363
    for byte in data:
        byte ^= crc & 0xFF
        byte = (byte ^ (byte << 4)) & 0xFF
        crc = ((crc >> 8) ^ (byte << 8) ^ (byte << 3) ^ (byte >> 4)) & 0xFFFF
    return [crc & 0xFF, crc >> 8]
