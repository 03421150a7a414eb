"""The chips of the gpio backend: RC522 tag readers on SPI, LED strips on MOSI (SPI) or
GPIO18 (rpi_ws281x), MPR121 touch controllers on I2C.

The drivers are in `museokit.backends.chips`; this module opens their buses on the Pi
and turns what goes wrong into one line naming the device and the fix.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import gpiozero
from gpiozero.exc import GPIOPinInUse, GPIOZeroError

from museokit.backends.chips.mfrc522 import Collision, Mfrc522
from museokit.backends.chips.polling import ChipInput, Unsure
from museokit.backends.chips.ws2812_spi import SPEEDS, encode, frame_bytes
from museokit.backends.gpio_serves import DEFAULT_SPIDEV_BUFSIZ, SPI_STRIP_PINS, claim
from museokit.core.backend import Backend, BackendError, OutputChannel, Sink
from museokit.core.pins import PinRef

log = logging.getLogger("museokit.gpio")

CE_PINS = {"CE0": 8, "CE1": 7}
SPIDEV_BUFSIZ = Path("/sys/module/spidev/parameters/bufsiz")
SPI0_STRIP_FIX = ("a strip's DIN on SPI0 MOSI hears every transfer to the SPI0 chips and flickers: "
                  "move it to GPIO20 (SPI1 MOSI, dtoverlay=spi1-1cs) and write pin = 20")



def open_chip(backend: Backend, factory: Any, device_id: str, signal: str, pin: PinRef | None,
              sink: Sink, params: dict[str, Any]) -> ChipInput:
    if signal == "touch":
        from museokit.backends.gpio_touch import mpr121
        touch: ChipInput = mpr121(backend, device_id, sink, params)
        return touch
    if params.get("reader") == "pn532":
        from museokit.backends.gpio_pn532 import pn532
        nfc: ChipInput = pn532(backend, device_id, sink, params)
        return nfc
    if params.get("reader") == "hid":
        from museokit.backends.gpio_hid import hid_reader
        hid: ChipInput = hid_reader(backend, device_id, sink, params)
        return hid
    return rc522(backend, factory, device_id, pin, sink, params)


def strip(backend: Backend, device_id: str, pin: PinRef, params: dict[str, Any]) -> OutputChannel:
    count, order = int(params.get("count", 8)), str(params.get("order", "GRB"))
    number = int(pin.name[4:])
    if params.get("method", "spi") == "pwm":
        return ws281x(backend, device_id, pin, count, order)
    if number not in SPI_STRIP_PINS:  # `museokit check` says it first, with the line
        raise BackendError(f"{device_id}: pixels on {pin} cannot be driven by SPI; wire DIN to "
                           "GPIO10 (SPI0 MOSI) and write pin = 10")
    bus = SPI_STRIP_PINS[number]
    if bus == 0:
        claim(backend, "spi0 strip", device_id, ("spi0 chip",), SPI0_STRIP_FIX)
    return SpiStrip(backend, device_id, count, order, int(params.get("spi_bits", 3)), bus)


def rc522(backend: Backend, factory: Any, device_id: str, reset: PinRef | None, sink: Sink,
          params: dict[str, Any]) -> ChipInput:
    """An RC522 on SPI0 `spi` (CE0/CE1), RST on `reset` (or tied to 3.3 V)."""
    ce = str(params.get("spi", "CE0"))
    claim(backend, "spi0 chip", device_id, ("spi0 strip",), SPI0_STRIP_FIX, shared=True)
    try:
        spi = factory.spi(port=0, device=int(ce[2]))
    except GPIOPinInUse as exc:
        raise BackendError(f"{device_id}: a pin of SPI0 {ce} is already taken ({exc}); two "
                           "devices cannot share a chip-select (put one on "
                           f"{'CE1' if ce == 'CE0' else 'CE0'}), nor a button or LED an SPI "
                           "pin (GPIO7-11)") from None
    except (GPIOZeroError, OSError, ValueError) as exc:
        raise BackendError(f"{device_id}: cannot open SPI0 {ce} for the RC522: {exc}; turn SPI "
                           "on (raspi-config, Interface Options)") from None
    rst = None
    if reset is not None:
        try:
            rst = gpiozero.DigitalOutputDevice(reset.name, initial_value=True, pin_factory=factory)
        except (GPIOZeroError, OSError, ValueError) as exc:
            spi.close()
            raise BackendError(f"{device_id}: cannot open the RC522's RST pin {reset}: {exc}") from None
    chip = Mfrc522(spi.transfer)
    wiring = (f"RC522 on SPI0 {ce} (SDA to GPIO{CE_PINS[ce]}, SCK GPIO11, MOSI GPIO10, MISO GPIO9, "
              "3.3 V)")

    def start() -> None:
        chip.version()  # ChipSilent before touching anything else
        if rst is not None:  # a hard reset: the chip may have browned out
            rst.off()
            rst.on()
        chip.init()

    texts: dict[str, str | None] | None = {} if params.get("id_from") == "text" else None

    def read() -> str | None:
        try:
            tag = chip.read_tag(texts)
        except Collision:
            raise Unsure() from None
        if tag is None:
            if texts:
                texts.clear()  # read the text afresh next time: it may have been rewritten
            chip.version()  # an unplugged chip reads as "no tag" too: ChipSilent tells them apart
            return None
        uid, text = tag
        return text or uid

    def close() -> None:
        spi.close()
        if rst is not None:
            rst.close()

    return ChipInput(backend, device_id, sink, wiring, start, read,
                     float(params.get("poll", 0.1)), close)


def spidev_bufsiz() -> int:
    try:
        return int(SPIDEV_BUFSIZ.read_text().strip())
    except (OSError, ValueError):
        return DEFAULT_SPIDEV_BUFSIZ


class SpiStrip(OutputChannel):
    """A WS2812/SK6812 strip on SPI0 MOSI: frames are encoded on the loop and written by
    a thread of its own (only the newest waits), so a long strip never holds the loop."""

    def __init__(self, backend: Backend, device_id: str, count: int, order: str, bits: int,
                 bus: int = 0) -> None:
        super().__init__(backend.loop, "pixels")
        try:
            import spidev
        except ImportError:
            raise BackendError(f"{device_id}: the spidev package is missing: pip install "
                               "'museokit[gpio]'") from None
        size, limit = frame_bytes(count, order, bits), spidev_bufsiz()
        if size > limit:
            raise BackendError(
                f"{device_id}: {count} pixels take {size} bytes a frame, more than the kernel's "
                f"SPI buffer ({limit}); add spidev.bufsiz=65536 to /boot/firmware/cmdline.txt "
                "and reboot, or use a shorter strip")
        self.order, self.bits = order, bits
        self.bus = spidev.SpiDev()
        try:
            self.bus.open(bus, 0)
        except OSError as exc:
            enable = "raspi-config, Interface Options" if bus == 0 else "dtoverlay=spi1-1cs"
            raise BackendError(f"{device_id}: cannot open /dev/spidev{bus}.0 ({exc}); turn SPI{bus} "
                               f"on ({enable})") from None
        self.bus.mode = 0
        self.bus.max_speed_hz = SPEEDS[bits]
        self.frames = 0
        self._next: bytes | None = None
        self._wake = threading.Condition()
        self._closed = False
        self._sending = False
        self._thread = threading.Thread(target=self._send, name=f"museokit {device_id} strip",
                                        daemon=True)
        self._thread.start()

    def _write(self, value: Any) -> None:
        self.value = value
        data = encode(value, self.order, self.bits)
        with self._wake:
            self._next = data
            self._wake.notify()

    def _send(self) -> None:
        while True:
            with self._wake:
                while self._next is None and not self._closed:
                    self._wake.wait()
                if self._next is None:
                    return
                data, self._next = self._next, None
                self._sending = True
            try:
                self.bus.writebytes2(data)
                self.frames += 1
            except OSError as exc:
                log.warning("strip write failed: %s", exc)
            with self._wake:
                self._sending = False
                self._wake.notify_all()  # flush() waits for this

    def flush(self, timeout: float = 2.0) -> None:
        """Wait until the newest frame has left (tests and shutdown)."""
        with self._wake:
            self._wake.wait_for(lambda: self._next is None and not self._sending, timeout)

    def close(self) -> None:
        super().close()
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=2)
        self.bus.close()


def ws281x(backend: Backend, device_id: str, pin: PinRef, count: int, order: str) -> OutputChannel:
    """A strip through rpi_ws281x (PWM and DMA, root, Pi 4 and older)."""
    if "raspberry pi 5" in _model():
        raise BackendError(f"{device_id}: rpi_ws281x does not work on a Pi 5; use method = \"spi\" "
                           "and wire the strip's DIN to GPIO10 (MOSI, header pin 19)")
    try:
        import rpi_ws281x
    except ImportError:
        raise BackendError(f"{device_id}: method = \"pwm\" needs rpi_ws281x: pip install "
                           "rpi_ws281x (and run as root), or use method = \"spi\" on GPIO10") from None
    number = int(pin.name[4:])
    # rpi_ws281x names its colour orders WS2811_STRIP_GRB... and SK6812_STRIP_GRBW...
    strip_type = getattr(rpi_ws281x, f"{'SK6812' if len(order) == 4 else 'WS2811'}_STRIP_{order}")
    strip = rpi_ws281x.PixelStrip(count, number, 800_000, 10, False, 255,
                                  1 if number in (13, 19) else 0, strip_type)
    try:
        strip.begin()
    except RuntimeError as exc:
        raise BackendError(f"{device_id}: rpi_ws281x cannot start ({exc}); it needs root") from None
    loop = backend.loop

    class Ws281xStrip(OutputChannel):
        def _write(self, value: Any) -> None:
            self.value = value
            for i, (r, g, b) in enumerate(value):
                strip.setPixelColor(i, (r << 16) | (g << 8) | b)
            strip.show()

    return Ws281xStrip(loop, "pixels")


def _model() -> str:
    try:
        return Path("/proc/device-tree/model").read_text(errors="replace").lower()
    except OSError:
        return ""

