"""Pin names, normalised so that two devices on one pin are caught at load time.

On a Raspberry Pi, `17`, `"GPIO17"`, `"BCM17"` and `"BOARD11"` are the same pin
(gpiozero's naming). Pins on a microcontroller carry the board's name
(`board = "uno"` in the device), so D2 on two boards are different pins; there a
bare number is the digital pin (`2` is `D2`), as in the serial protocol.
"""

from __future__ import annotations

from typing import NamedTuple

# The 40-pin header: physical pin -> BCM GPIO number.
BOARD_TO_BCM = {
    3: 2, 5: 3, 7: 4, 8: 14, 10: 15, 11: 17, 12: 18, 13: 27, 15: 22, 16: 23, 18: 24, 19: 10,
    21: 9, 22: 25, 23: 11, 24: 8, 26: 7, 27: 0, 28: 1, 29: 5, 31: 6, 32: 12, 33: 13, 35: 19,
    36: 16, 37: 26, 38: 20, 40: 21,
}


class PinRef(NamedTuple):
    board: str  # "pi" for the host's own header, else the board name
    name: str  # canonical: "GPIO17" on a Pi, as written (upper case) elsewhere

    def __str__(self) -> str:
        return self.name if self.board == "pi" else f"{self.board}:{self.name}"


def normalise_pin(raw: int | str, board: str = "pi") -> PinRef:
    """Return the canonical pin; raises ValueError with a hint for a malformed name."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"a pin is a number or a name like 'GPIO17', got {raw!r}")
    if board != "pi":
        # Arduino style: a bare number is the digital pin of that number (2 is D2).
        name = str(raw).strip().upper()
        return PinRef(board, f"D{name}" if name.isdigit() else name)
    if isinstance(raw, int):
        if not 0 <= raw <= 27:
            raise ValueError(f"GPIO{raw} does not exist on a Raspberry Pi (0..27)")
        return PinRef("pi", f"GPIO{raw}")
    text = raw.strip().upper()
    for prefix in ("GPIO", "BCM"):
        if text.startswith(prefix) and text[len(prefix):].isdigit():
            return normalise_pin(int(text[len(prefix):]))
    if text.startswith("BOARD") and text[5:].isdigit():
        physical = int(text[5:])
        if physical not in BOARD_TO_BCM:
            raise ValueError(f"header pin {physical} is power or ground, not a GPIO")
        return PinRef("pi", f"GPIO{BOARD_TO_BCM[physical]}")
    if text.isdigit():
        return normalise_pin(int(text))
    raise ValueError(f"unknown pin {raw!r}: use a BCM number (17), 'GPIO17' or 'BOARD11'")
