"""The first NDEF text record of a Type 2 tag (NTAG213/215/216, MIFARE Ultralight).

Museum in a Box and many makers write an object's id as a text record. A Type 2 tag's
user memory starts at page 4 with TLV blocks; the NDEF message TLV (0x03) holds records
`header, type length, payload length, [id length], type, [id], payload`. A text record
(TNF 1, type "T") carries a status byte (bit 7: UTF-16, bits 0-5: language code
length), the language code, then the text (NFC Forum RTD-Text 1.0).
"""

from __future__ import annotations

NDEF_TLV, TERMINATOR_TLV, NULL_TLV = 0x03, 0xFE, 0x00
FIRST_PAGE = 4


def ndef_message(memory: bytes) -> bytes | None:
    """The NDEF message in a tag's user memory (from page 4), or None."""
    i = 0
    while i < len(memory):
        kind = memory[i]
        if kind == NULL_TLV:
            i += 1
            continue
        if kind == TERMINATOR_TLV or i + 1 >= len(memory):
            return None
        length, i = memory[i + 1], i + 2
        if length == 0xFF:  # three-byte length
            if i + 2 > len(memory):
                return None
            length, i = int.from_bytes(memory[i:i + 2], "big"), i + 2
        if kind == NDEF_TLV:
            return memory[i:i + length] if i + length <= len(memory) else None
        i += length
    return None


def message_length(memory: bytes) -> int | None:
    """How many bytes from page 4 hold the whole NDEF TLV, once its header is read."""
    i = 0
    while i + 1 < len(memory) and memory[i] == NULL_TLV:
        i += 1
    if i + 1 >= len(memory) or memory[i] != NDEF_TLV:
        return None
    if memory[i + 1] == 0xFF:
        return i + 4 + int.from_bytes(memory[i + 2:i + 4], "big") if i + 4 <= len(memory) else None
    return i + 2 + memory[i + 1]


def first_text(message: bytes) -> str | None:
    """The text of the message's first text record, or None."""
    i = 0
    while i + 3 <= len(message):
        header, type_length = message[i], message[i + 1]
        short = header & 0x10
        has_id = header & 0x08
        i += 2
        if short:
            payload_length, i = message[i], i + 1
        else:
            payload_length, i = int.from_bytes(message[i:i + 4], "big"), i + 4
        id_length = 0
        if has_id:
            id_length, i = message[i], i + 1
        kind = message[i:i + type_length]
        i += type_length + id_length
        payload = message[i:i + payload_length]
        i += payload_length
        if header & 0x07 == 0x01 and kind == b"T" and payload:
            status = payload[0]
            text = payload[1 + (status & 0x3F):]
            try:
                return text.decode("utf-16" if status & 0x80 else "utf-8").strip() or None
            except UnicodeDecodeError:
                return None
        if header & 0x40:  # ME: the last record
            break
    return None
