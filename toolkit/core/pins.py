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

from collections.abc import Sequence
from typing import Any, NamedTuple

from museokit.core.report import KeyPath, Report

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


class PinCheck:
    """The pins of every `[[devices]]` table: each one readable, none serving two devices,
    and the Pi's I2C and SPI pins used only as the installation says."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.used: dict[PinRef, str] = {}
        #: Every pin given, with where it is written and its device: for the bus-pin check.
        self.given: list[tuple[KeyPath, str, PinRef]] = []

    def device_pins(self, path: KeyPath, table: dict[str, Any], dev_id: str,
                    keys: Sequence[str], board: str | None,
                    bus_keys: Sequence[str] = ()) -> dict[str, PinRef]:
        """The pins a device table gives for its kind's pin `keys` (a missing one is a note);
        those in `bus_keys` drive their bus as that bus, so they get no bus-pin warning."""
        pins: dict[str, PinRef] = {}
        for pin_key in keys:
            raw_pin = table.get(pin_key)
            if raw_pin is None:
                self.report.warn(path, f"device {dev_id!r} has no {pin_key} yet",
                                 f"fine in the simulator; add {pin_key} = <GPIO number> before "
                                 "running on the hardware")
                continue
            try:
                ref = normalise_pin(raw_pin, board or "pi")
            except ValueError as exc:
                self.report.error((*path, pin_key), str(exc))
                continue
            if ref in self.used:
                self.report.error((*path, pin_key), f"pin {ref} is already used by device "
                                  f"{self.used[ref]!r}", "each pin can serve one device; move one")
                continue
            self.used[ref] = dev_id
            pins[pin_key] = ref
            if pin_key not in bus_keys:
                self.given.append(((*path, pin_key), dev_id, ref))
        return pins

    def bus_pins(self, head: dict[str, Any]) -> None:
        """Pi pins that belong to I2C or SPI: an error if an ADC in this installation uses
        that bus, a warning unless `[installation] <bus>_pins_as_gpio = true` says so."""
        report = self.report
        adc = next((dev_id for _, dev_id, ref in self.given if is_adc(ref.board)), None)
        freed = {bus for bus in BUS_PINS if head.get(f"{bus}_pins_as_gpio") is True}
        for bus in BUS_PINS:
            key = f"{bus}_pins_as_gpio"
            if key in head and not isinstance(head[key], bool):
                report.error(("installation", key), f"expected true or false, got {head[key]!r}")
        for path, dev_id, ref in self.given:
            found = bus_of(ref)
            if found is None:
                continue
            bus, role = found
            if adc is not None and bus == "spi" and int(ref.name[4:]) in ADC_SPI_PINS:
                report.error(path, f"pin {ref} is {role}, which the ADC of device {adc!r} uses",
                             "move this device to a free GPIO (4, 5, 6, 12, 13, 16-27)")
            elif bus not in freed:
                report.warn(path, f"pin {ref} of device {dev_id!r} is {role}: it works as a GPIO "
                            f"only while {bus.upper()} is off (raspi-config, Interface Options)",
                            f"if that is intended, say {bus}_pins_as_gpio = true in [installation]; "
                            "otherwise use a free GPIO (4, 5, 6, 12, 13, 16-27)")
