"""What the gpio backend can serve, checked on the file before anything starts.

`museokit check` asks this module (through `GpioBackend.check_device` and
`check_together`) about every device the Pi would run, so it refuses what
`museokit run` would refuse on the hardware: a strip on a pin no method can drive,
two readers on one SPI chip-select, two chips on one I2C address, a button on a pin
that an SPI or I2C chip of the same installation needs.

Buses on the header (BCM numbers):

    SPI0   SCLK 11, MOSI 10, MISO 9, CE0 8, CE1 7   RC522 readers, an MCP3008, a strip's DIN
    SPI1   MOSI 20 (dtoverlay=spi1-1cs)             a strip beside SPI0 chips
    I2C1   SDA 2, SCL 3                             MPR121 touch (0x5A-0x5D), a PN532 (0x24)
    PWM    GPIO18/12 (channel 0), 13/19 (channel 1)  rpi_ws281x strips, Pi 4 and older
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import Backend, BackendError, DeviceDecl

NO_GPIO = ("no GPIO here: this machine is not a Raspberry Pi (gpiozero found no pin library); "
           "`museokit run PATH --backend sim` simulates the devices, `museokit sim PATH` too")

INPUT_SIGNALS = ("digital", "analog", "distance", "tag", "touch", "rotary")
OUTPUT_SIGNALS = ("digital", "pwm", "servo", "tone", "pixels")
#: Inputs read from a chip by a thread of their own.
CHIP_SIGNALS = ("tag", "touch")

SPI0_PINS = {11: "SPI0 SCLK", 10: "SPI0 MOSI", 9: "SPI0 MISO"}
CE_PINS = {"CE0": 8, "CE1": 7}
I2C_PINS = {2: "I2C1 SDA", 3: "I2C1 SCL"}
#: A strip's DIN on the MOSI of an SPI bus: pin -> (bus, what to enable).
SPI_STRIP_PINS = {10: 0, 20: 1}
PWM_STRIP_PINS = (18, 12, 13, 19)
SPI_STRIP_HINT = ("on any Pi (a Pi 5 too) use the SPI method: wire DIN to GPIO10 (SPI0 MOSI, header "
                  "pin 19) and write pin = 10, or GPIO20 (SPI1 MOSI) beside other SPI0 chips")


def options(device: DeviceDecl) -> dict[str, Any]:
    return dict(device.cls.with_defaults(device.options))


def pin_number(device: DeviceDecl, key: str = "pin") -> int | None:
    ref = device.pins.get(key)
    return int(ref.name[4:]) if ref is not None and ref.board == "pi" else None


def device_problems(cls: type, device: DeviceDecl, opts: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of one device on the Pi, as (key, message)."""
    if device.kind == "pixels":
        return _strip(device)
    if device.kind == "tag_reader" and options(device).get("reader") == "hid" \
            and not options(device).get("device"):
        return [("reader", 'reader = "hid" needs device = "<its name in /dev/input/by-id>" '
                 "(`ls /dev/input/by-id` lists them; part of the name is enough)")]
    if device.kind == "tag_reader" and options(device).get("id_from") == "text" \
            and options(device).get("reader", "rc522") != "rc522":
        return [("id_from", 'id_from = "text" (NDEF text records) is read through an RC522 only; '
                 'use reader = "rc522" or id_from = "uid"')]
    return []


def _strip(device: DeviceDecl) -> list[tuple[str, str]]:
    opts, number = options(device), pin_number(device)
    if number is None:
        return []
    if opts.get("method", "spi") == "pwm":
        if number not in PWM_STRIP_PINS:
            return [("pin", f"pixels through rpi_ws281x (method = \"pwm\") need a PWM pin: GPIO18 "
                     f"(header pin 12), 12, 13 or 19, not GPIO{number}; or {SPI_STRIP_HINT}")]
        return []
    if number not in SPI_STRIP_PINS:
        need = ("need the PWM method (method = \"pwm\", rpi_ws281x, Pi 4 and older, as root); "
                if number in PWM_STRIP_PINS else "cannot be driven from that pin; ")
        return [("pin", f"pixels on GPIO{number} {need}{SPI_STRIP_HINT}")]
    return []


#: The kernel's SPI buffer on a Pi unless cmdline.txt raises it (`spidev.bufsiz`).
DEFAULT_SPIDEV_BUFSIZ = 4096
#: A WS2812's own data rate: 800 kbit/s, whatever carries it.
WS2812_BITS_PER_S = 800_000


def strip_notes(device: DeviceDecl) -> list[tuple[str, str]]:
    """The cost of a strip on SPI: bytes per frame (against the kernel's default buffer)
    and the fastest refresh the strip's own data rate allows."""
    from museokit.backends.chips.ws2812_spi import frame_bytes

    opts = options(device)
    if opts.get("method", "spi") != "spi":
        return []
    count, order, bits = int(opts["count"]), str(opts["order"]), int(opts.get("spi_bits", 3))
    size = frame_bytes(count, order, bits)
    seconds = count * len(order) * 8 / WS2812_BITS_PER_S + 80e-6
    cost = (f"{count} pixels take {size:,} SPI bytes a frame and {seconds * 1000:.1f} ms on the "
            f"wire: at most {int(1 / seconds)} frames/s")
    costs = []
    if size > DEFAULT_SPIDEV_BUFSIZ:
        costs.append(f"over the Pi's default SPI buffer ({DEFAULT_SPIDEV_BUFSIZ} bytes): add "
                     "spidev.bufsiz=65536 to /boot/firmware/cmdline.txt and reboot, or `run` "
                     "refuses the strip")
    if seconds > 1 / 60:
        costs.append("slower than 60 frames/s: split it over two strips if animations stutter")
    return [("count", f"{cost}; " + "; ".join(costs))] if costs else []


def chip_select(device: DeviceDecl) -> tuple[str, str] | None:
    """(chip-select, chip) if the device is on an SPI0 chip; the channels of one ADC are
    several devices on one chip."""
    if device.kind == "tag_reader" and options(device).get("reader", "rc522") == "rc522":
        return str(options(device).get("spi", "CE0")), device.id
    ref = next(iter(device.pins.values()), None)
    if ref is not None and ref.board.startswith("mcp3"):
        return "CE0", ref.board
    return None


def problems_together(cls: type, devices: list[DeviceDecl],
                   opts: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Problems between devices on the Pi's buses, as (device id, key, message)."""
    problems: list[tuple[str, str, str]] = []
    taken: dict[str, str] = {}
    chips: dict[str, str] = {}
    spi0, adc = None, False
    for device in devices:
        found = chip_select(device)
        if found is None:
            continue
        ce, chip = found
        spi0 = spi0 or device.id
        adc = adc or chip.startswith("mcp3")
        if chips.setdefault(ce, chip) == chip:
            taken.setdefault(ce, device.id)
        else:
            other = "CE1" if ce == "CE0" else "CE0"
            key = "spi" if device.kind == "tag_reader" else "board"
            problems.append((device.id, key, f"two devices on SPI0 {ce}: {taken[ce]!r} already "
                             f"uses it; put this one on {other}" + (
                                 f' (spi = "{other}", its SDA to GPIO{CE_PINS[other]})'
                                 if device.kind == "tag_reader" else "")))
    addresses: dict[int, str] = {}
    i2c = None
    for device in devices:
        if device.kind == "touch":
            address = int(options(device).get("address", 0x5A))
        elif device.kind == "tag_reader" and options(device).get("reader") == "pn532":
            address = 0x24
        else:
            continue
        i2c = i2c or device.id
        if address in addresses:
            key = "address" if device.kind == "touch" else "reader"
            problems.append((device.id, key, f"two devices on I2C address {address:#04x}: "
                             f"{addresses[address]!r} already answers there; "
                             + ("a PN532 is always 0x24: one per I2C bus" if address == 0x24 else
                                "wire this MPR121's ADDR pin to 3.3 V (0x5B), SDA (0x5C) or SCL "
                                "(0x5D) and say so")))
        else:
            addresses[address] = device.id
    for device in devices:
        if device.kind == "pixels" and options(device).get("method", "spi") == "spi":
            number = pin_number(device)
            if number == 10 and spi0 is not None:
                problems.append((device.id, "pin", f"the strip's DIN on SPI0 MOSI would hear every "
                                 f"transfer to {spi0!r} and flicker; wire it to GPIO20 (SPI1 MOSI, "
                                 "dtoverlay=spi1-1cs in config.txt) and write pin = 20"))
        # With an ADC on the bus the installation check already guards SPI0's own pins.
        problems += _pins_on_buses(device, None if adc else spi0, i2c,
                                   {ce: who for ce, who in taken.items() if not adc or ce != "CE0"})
    return problems


def _pins_on_buses(device: DeviceDecl, spi0: str | None, i2c: str | None,
                   taken: dict[str, str]) -> list[tuple[str, str, str]]:
    problems = []
    busy = {**({n: f"{r}, which {spi0!r} uses" for n, r in SPI0_PINS.items()} if spi0 else {}),
            **{pin: f"SPI0 {ce}, which {who!r} uses" for ce, who in taken.items()
               for pin in (CE_PINS[ce],)},
            **({n: f"{r}, which {i2c!r} uses" for n, r in I2C_PINS.items()} if i2c else {})}
    for key, ref in device.pins.items():
        if ref.board != "pi" or (device.kind == "pixels" and key == "pin"):
            continue
        number = int(ref.name[4:])
        if number in busy and repr(device.id) not in busy[number]:
            problems.append((device.id, key, f"GPIO{number} is {busy[number]}; move "
                             f"{device.id!r} to a free GPIO (4, 5, 6, 12, 13, 16-27)"))
    return problems


def claim(backend: Backend, bus: str, device_id: str, clashes: tuple[str, ...], fix: str,
          shared: bool = False) -> None:
    """Note that `device_id` uses `bus` ("spi0 chip", "spi0 strip", "I2C address 0x5a");
    refuse it when another device holds it (unless `shared`) or one of `clashes`: at run
    time, what `check_together` refuses first, on the file."""
    claims: dict[str, str] = backend.__dict__.setdefault("bus_claims", {})
    for other in (*clashes, *(() if shared else (bus,))):
        if other in claims:
            raise BackendError(f"{device_id}: {other} is already used by {claims[other]!r}; {fix}")
    claims.setdefault(bus, device_id)


class GpioServes(Backend):
    """The gpio backend as `check` sees it, with no hardware library imported: shared by
    `gpio.GpioBackend` (what the entry point names) and `gpio_zero.ZeroBackend` (the one at
    work), so neither module imports the other's class."""

    name = "gpio"
    wiring = ("the Raspberry Pi's own header, pins by BCM number: `pin = 17`, `\"GPIO17\"` "
              "or `\"BOARD11\"` (header pin 11); the Pi's pins take 3.3 V, never 5 V")
    input_signals = INPUT_SIGNALS
    output_signals = OUTPUT_SIGNALS

    @classmethod
    def check_device(cls, device: DeviceDecl, opts: dict[str, Any]) -> list[tuple[str, str]]:
        return device_problems(cls, device, opts)

    @classmethod
    def device_notes(cls, device: DeviceDecl, opts: dict[str, Any]) -> list[tuple[str, str]]:
        return strip_notes(device) if device.kind == "pixels" else []

    @classmethod
    def check_together(cls, devices: list[DeviceDecl],
                       opts: dict[str, Any]) -> list[tuple[str, str, str]]:
        return problems_together(cls, devices, opts)
