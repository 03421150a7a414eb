"""A PN532 on I2C, as smbus2's `i2c_rdwr` meets it: information frames in, a status byte
then the ACK frame, then the answer frame out, and the ISO 14443A cards in its field.
Written from NXP's UM0701-02, independently of the driver."""

from __future__ import annotations

import ctypes
import errno


def frame(data: list[int]) -> bytes:
    n = len(data)
    return bytes([0, 0, 0xFF, n, (0x100 - n) & 0xFF, *data, (0x100 - sum(data) % 256) & 0xFF, 0])


ACK = bytes([0, 0, 0xFF, 0, 0xFF, 0])


class Pn532Bus:
    def __init__(self) -> None:
        self.connected = True
        self.cards: list[bytes] = []
        self.pending: list[bytes] = []
        self.commands: list[int] = []
        self.garble_next = False

    def i2c_rdwr(self, *messages) -> None:
        if not self.connected:
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        for msg in messages:
            assert msg.addr == 0x24
            if msg.flags & 1:
                self._read(msg)
            else:
                self._write(bytes(msg))

    def _write(self, raw: bytes) -> None:
        assert raw[:3] == b"\x00\x00\xff" and (raw[3] + raw[4]) & 0xFF == 0, raw.hex()
        data = raw[5:5 + raw[3]]
        assert (sum(data) + raw[5 + raw[3]]) & 0xFF == 0 and data[0] == 0xD4, raw.hex()
        command, params = data[1], data[2:]
        self.commands.append(command)
        answer = {0x02: [0x32, 0x01, 0x06, 0x07], 0x14: [], 0x32: []}.get(command)
        if command == 0x4A:
            assert params[:2] == b"\x01\x00"
            uid = self.cards[0] if self.cards else None
            answer = [0] if uid is None else [1, 1, 0x00, 0x44 if len(uid) > 4 else 0x04, 0x08,
                                              len(uid), *uid]
        assert answer is not None, f"unexpected command {command:#04x}"
        out = frame([0xD5, command + 1, *answer])
        if self.garble_next:
            self.garble_next = False
            out = out[:-2] + bytes([out[-2] ^ 0x55, 0])
        self.pending = [ACK, out]

    def _read(self, msg) -> None:
        if msg.len == 1 or not self.pending:
            data = bytes([0x01 if self.pending else 0x00])
        else:
            data = bytes([0x01]) + self.pending.pop(0)
        data = (data + bytes(msg.len))[:msg.len]
        ctypes.memmove(msg.buf, data, msg.len)

    def close(self) -> None:
        pass
