"""An MFRC522 and the ISO 14443A cards in its field, at register level.

Registers, the FIFO, the command register (Idle, CalcCRC, Transceive, SoftReset),
ComIrq/DivIrq with their Set1 write rule, the CRC_A coprocessor, and cards that answer
REQA/WUPA, anticollision and select through cascade levels, and HLTA, with their
ISO 14443-3 states. Written from the datasheet, independently of the driver.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpiozero.pins.mock import MockFactory

from tests.chips.spi_pins import SpiChip

COMMAND, COM_IRQ, DIV_IRQ, ERROR, FIFO_DATA, FIFO_LEVEL = 0x01, 0x04, 0x05, 0x06, 0x09, 0x0A
CONTROL, BIT_FRAMING, TX_CONTROL, CRC_H, CRC_L, VERSION = 0x0C, 0x0D, 0x14, 0x21, 0x22, 0x37
RESET_VALUES = {COMMAND: 0x20, 0x02: 0x80, 0x0B: 0x08, CONTROL: 0x10, 0x11: 0x3F, TX_CONTROL: 0x80,
                0x12: 0x00, 0x13: 0x00, 0x15: 0x00, 0x16: 0x10, 0x17: 0x84, 0x18: 0x84,
                0x19: 0x4D, 0x1A: 0x00, CRC_H: 0xFF, CRC_L: 0xFF, VERSION: 0x92}


def crc_a(data: list[int]) -> list[int]:
    """ISO 14443-3 CRC_A (preset 0x6363), low byte first."""
    crc = 0x6363
    for byte in data:
        b = (byte ^ crc) & 0xFF
        b = (b ^ (b << 4)) & 0xFF
        crc = ((crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)) & 0xFFFF
    return [crc & 0xFF, crc >> 8]


@dataclass
class Card:
    uid: bytes
    state: str = "idle"   # idle, ready, active, halt
    level: int = 0         # cascade level reached while ready
    #: A Type 2 tag's memory from page 0 (NTAG213: 45 pages of 4 bytes).
    memory: bytes = bytes(180)

    def parts(self) -> list[list[int]]:
        """The UID as the anticollision loop sends it, one 4-byte part per cascade level."""
        u = list(self.uid)
        if len(u) == 4:
            return [u]
        if len(u) == 7:
            return [[0x88, *u[:3]], u[3:]]
        return [[0x88, *u[:3]], [0x88, *u[3:6]], u[6:]]


class Mfrc522Model(SpiChip):
    def __init__(self, factory: MockFactory, select: int = 8) -> None:
        super().__init__(factory, select)
        self.connected = True
        self.cards: list[Card] = []
        self.frames: list[list[int]] = []   # every frame a card heard
        self.power_on()

    # -- the SPI side -------------------------------------------------------------------
    def on_byte(self, index: int, byte: int) -> None:
        if not self.connected:
            return  # nothing drives MISO: it reads 0
        if index == 0:
            self.reading = bool(byte & 0x80)
            self.register = (byte >> 1) & 0x3F
        elif not self.reading:
            self.write(self.register, byte)
            return
        else:
            self.register = (byte >> 1) & 0x3F
        if self.reading:
            self.tx_word(self.read(self.register))

    # -- registers --------------------------------------------------------------------
    def power_on(self) -> None:
        self.regs = [0] * 64
        for reg, value in RESET_VALUES.items():
            self.regs[reg] = value
        self.fifo: list[int] = []

    def read(self, reg: int) -> int:
        if reg == FIFO_DATA:
            return self.fifo.pop(0) if self.fifo else 0
        if reg == FIFO_LEVEL:
            return len(self.fifo)
        return self.regs[reg]

    def write(self, reg: int, value: int) -> None:
        if reg == FIFO_DATA:
            self.fifo = [*self.fifo, value][:64]
        elif reg == FIFO_LEVEL:
            if value & 0x80:
                self.fifo = []
        elif reg in (COM_IRQ, DIV_IRQ):  # Set1: 1 sets the marked bits, 0 clears them
            mask = value & 0x7F
            self.regs[reg] = (self.regs[reg] | mask) if value & 0x80 else (self.regs[reg] & ~mask)
        elif reg == COMMAND:
            self.command(value & 0x0F)
        elif reg == BIT_FRAMING:
            self.regs[reg] = value & 0x7F
            if value & 0x80 and self.regs[COMMAND] & 0x0F == 0x0C:
                self.transceive(value & 0x07)
        elif reg != VERSION:
            self.regs[reg] = value

    def command(self, cmd: int) -> None:
        if cmd == 0x0F:  # SoftReset
            self.power_on()
            return
        self.regs[COMMAND] = (self.regs[COMMAND] & 0xF0) | cmd
        if cmd == 0x03:  # CalcCRC over the FIFO
            low, high = crc_a(self.fifo)
            self.fifo = []
            self.regs[CRC_L], self.regs[CRC_H] = low, high
            self.regs[DIV_IRQ] |= 0x04

    # -- the RF side ------------------------------------------------------------------
    def transceive(self, last_bits: int) -> None:
        frame, self.fifo = self.fifo, []
        self.regs[ERROR] = 0
        answer = self.answer(frame, last_bits) if self.regs[TX_CONTROL] & 0x03 else None
        if answer is None:
            self.regs[COM_IRQ] |= 0x01  # TimerIRq: nothing answered in time
            return
        self.fifo = list(answer)
        self.regs[CONTROL] = (self.regs[CONTROL] & 0xF8)
        self.regs[COM_IRQ] |= 0x20  # RxIRq

    def answer(self, frame: list[int], last_bits: int) -> list[int] | None:
        self.frames.append(frame)
        cards = self.cards
        if last_bits == 7 and frame in ([0x52], [0x26]):  # WUPA wakes halted cards too
            woken = [c for c in cards if c.state == "idle" or (frame == [0x52] and c.state != "active")
                     or c.state == "ready"]
            for card in woken:
                card.state, card.level = "ready", 0
            if not woken:
                return None
            return [0x44 if len(woken[0].uid) > 4 else 0x04, 0x00]
        if len(frame) == 2 and frame[0] in (0x93, 0x95, 0x97) and frame[1] == 0x20:
            level = (0x93, 0x95, 0x97).index(frame[0])
            ready = [c for c in cards if c.state == "ready" and c.level == level]
            parts = {tuple(c.parts()[level]) for c in ready}
            if not parts:
                return None
            if len(parts) > 1:
                self.regs[ERROR] |= 0x08  # CollErr: two UIDs answered over each other
                return [0, 0, 0, 0, 0]
            part = list(parts.pop())
            return [*part, part[0] ^ part[1] ^ part[2] ^ part[3]]
        if len(frame) == 9 and frame[0] in (0x93, 0x95, 0x97) and frame[1] == 0x70:
            if crc_a(frame[:7]) != frame[7:]:
                return None
            level = (0x93, 0x95, 0x97).index(frame[0])
            for card in cards:
                if card.state == "ready" and card.level == level and card.parts()[level] == frame[2:6]:
                    more = level + 1 < len(card.parts())
                    card.level, card.state = (level + 1, "ready") if more else (level, "active")
                    sak = [0x04] if more else [0x08]
                    return sak + crc_a(sak)
            return None
        if len(frame) == 4 and frame[0] == 0x30 and crc_a(frame[:2]) == frame[2:]:
            active = [c for c in cards if c.state == "active"]
            if not active:
                return None
            memory, start = active[0].memory, frame[1] * 4
            data = [memory[(start + i) % len(memory)] for i in range(16)]  # wraps, as NTAGs do
            return data + crc_a(data)
        if frame[:2] == [0x50, 0x00] and crc_a(frame[:2]) == frame[2:]:
            for card in cards:
                if card.state == "active":
                    card.state = "halt"
            return None
        return None

    # -- what a test does to it ---------------------------------------------------------
    def place(self, uid: str, text: str | None = None) -> Card:
        card = Card(bytes.fromhex(uid))
        if text is not None:
            card.memory = ntag_with_text(text)
        self.cards.append(card)
        return card

    def take(self) -> None:
        self.cards = []

    def unplug(self) -> None:
        self.connected = False

    def plug(self) -> None:
        self.connected = True
        self.power_on()


def ntag_with_text(text: str, lang: str = "en") -> bytes:
    """An NTAG213's memory holding one NDEF text record, as NFC Tools or Museum in a Box write it."""
    payload = bytes([len(lang)]) + lang.encode() + text.encode("utf-8")
    record = bytes([0xD1, 0x01, len(payload)]) + b"T" + payload  # MB ME SR, TNF well-known
    tlv = bytes([0x03, len(record)]) + record + b"\xfe"
    pages = bytes(12) + bytes([0xE1, 0x10, 0x12, 0x00])  # UID/lock pages, capability container
    return (pages + tlv + bytes(180))[:180]
