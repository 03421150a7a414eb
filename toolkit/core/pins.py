"""Pin names, normalised so that two devices on one pin are caught at load time.

On a Raspberry Pi, `17`, `"GPIO17"`, `"BCM17"`, `"BOARD11"` and `"J8:11"` are the
same pin (gpiozero's naming). Pins on a microcontroller carry the board's name
(`board = "uno"` in the device), so D2 on two boards are different pins; there a
bare number is the digital pin (`2` is `D2`), as in the serial protocol.

An analog sensor on the Pi reads through an SPI ADC chip: `board = "mcp3008"`
and `pin = 0` (or `"CH0"`) name its channel. The chip sits on SPI0 (GPIO8-11),
and the header's I2C and SPI pins are reserved for those buses unless the
installation says it uses them as plain GPIO (`BUS_PINS`).
"""

from __future__ import annotations

from typing import NamedTuple

# The 40-pin header: physical pin -> BCM GPIO number.
BOARD_TO_BCM = {
    3: 2, 5: 3, 7: 4, 8: 14, 10: 15, 11: 17, 12: 18, 13: 27, 15: 22, 16: 23, 18: 24, 19: 10,
    21: 9, 22: 25, 23: 11, 24: 8, 26: 7, 27: 0, 28: 1, 29: 5, 31: 6, 32: 12, 33: 13, 35: 19,
    36: 16, 37: 26, 38: 20, 40: 21,
}


#: Header pins that belong to a bus: a device on one of them needs the installation's
#: `[installation] <bus>_pins_as_gpio = true`, or it is only a warning.
BUS_PINS: dict[str, dict[int, str]] = {
    "i2c": {2: "I2C1 SDA", 3: "I2C1 SCL"},
    "spi": {7: "SPI0 CE1", 8: "SPI0 CE0", 9: "SPI0 MISO", 10: "SPI0 MOSI", 11: "SPI0 SCLK"},
}
#: The SPI0 pins an ADC on chip-select CE0 takes.
ADC_SPI_PINS = (8, 9, 10, 11)

#: SPI ADC chips gpiozero drives (MCP3xxx family), by their number of channels.
ADC_CHANNELS = {
    "mcp3001": 1, "mcp3002": 2, "mcp3004": 4, "mcp3008": 8, "mcp3201": 1, "mcp3202": 2,
    "mcp3204": 4, "mcp3208": 8, "mcp3301": 1, "mcp3302": 4, "mcp3304": 8,
}


def is_adc(board: str) -> bool:
    return board.lower() in ADC_CHANNELS


def bus_of(ref: PinRef) -> tuple[str, str] | None:
    """(bus, role) if `ref` is a Pi header pin that belongs to I2C or SPI, else None."""
    if ref.board != "pi":
        return None
    number = int(ref.name[4:])
    for bus, pins in BUS_PINS.items():
        if number in pins:
            return bus, pins[number]
    return None


class PinRef(NamedTuple):
    board: str  # "pi" for the host's own header, else the board name
    name: str  # canonical: "GPIO17" on a Pi, as written (upper case) elsewhere

    def __str__(self) -> str:
        return self.name if self.board == "pi" else f"{self.board}:{self.name}"


def normalise_pin(raw: int | str, board: str = "pi") -> PinRef:
    """Return the canonical pin; raises ValueError with a hint for a malformed name."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"a pin is a number or a name like 'GPIO17', got {raw!r}")
    if is_adc(board):
        return _adc_channel(raw, board.lower())
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
    if text.startswith("J8:") and text[3:].isdigit():
        return normalise_pin(f"BOARD{text[3:]}")
    if text.isdigit():
        return normalise_pin(int(text))
    raise ValueError(f"unknown pin {raw!r}: use a BCM number (17), 'GPIO17', 'BOARD11' or 'J8:11'")


def _adc_channel(raw: int | str, chip: str) -> PinRef:
    text = str(raw).strip().upper()
    text = text[2:] if text.startswith("CH") else text
    count = ADC_CHANNELS[chip]
    if isinstance(raw, bool) or not text.isdigit() or int(text) >= count:
        raise ValueError(f"an {chip.upper()} has channels 0..{count - 1}; got {raw!r}")
    return PinRef(chip, f"CH{int(text)}")
