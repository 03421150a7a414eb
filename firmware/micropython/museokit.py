# museokit firmware for MicroPython boards (Raspberry Pi Pico / Pico W, ESP32): the serial
# line protocol of firmware/PROTOCOL.md over USB serial. Same grammar, replies and counters
# as the Arduino sketch; the tests run the same cases against both.
#
# Pins: D<n> is GPIO n; A<n> is ADC input n (Pico: A0..A2 = GP26..GP28; ESP32: GPIO n).
# Written for MicroPython: %-formatting (f-strings are optional in MicroPython builds), no
# dataclasses, no typing.
# ruff: noqa: UP031
import sys

import machine

try:
    from time import sleep_ms, sleep_us, ticks_diff, ticks_ms
except ImportError:  # CPython in the tests: the machine shim supplies MicroPython's clock
    from machine import sleep_ms, sleep_us, ticks_diff, ticks_ms

PROTOCOL = 1
FIRMWARE = "mpy-0.1.0"
FEATURES = "in,ana,dist,out,pwm,servo,tone,pix"
LINE_MAX = 128
QUEUE = 32
PIXELS = 256
PX_COLOURS = 15  # colours per `px` line: the longest line still fits LINE_MAX (PROTOCOL.md 3.3)
ADC_BASE = 26 if "rp2" in sys.platform else 0  # Pico: A0 is GP26
DOWN = getattr(machine.Pin, "PULL_DOWN", None)


class Refused(Exception):
    """A command that gets `err <seq> <code>`; args[0] is the code."""


def checksum(data):
    x = 0
    for b in data:
        x ^= b
    return x


def seal(body):
    """A board line: body, `*HH` and newline, as bytes."""
    raw = body.encode()
    return raw + b"*%02X\n" % checksum(raw)


def number(text, lo, hi, code="range"):
    if not text.isdigit():
        raise Refused("args" if code == "range" else code)
    v = int(text)
    if v < lo or v > hi:
        raise Refused(code)
    return v


def pin_name(text):
    """`D2`, `A0` or `2` -> canonical name ('D2'), kind ('D'/'A') and number."""
    t = text.upper()
    kind = "A" if t[:1] == "A" else "D"
    digits = t[1:] if t[:1] in ("A", "D") else t
    if not digits.isdigit() or int(digits) > 127:
        raise Refused("args")
    return kind + str(int(digits)), kind, int(digits)


class Slot:
    """One pin role and its state (see protocol.cpp's Slot for the same fields)."""

    def __init__(self, role, name, hw, params):
        self.role = role
        self.name = name
        self.hw = hw
        self.params = params
        self.value = None
        self.cand = None
        self.since = ticks_ms()


class Firmware:
    """The protocol: feed() bytes from the host, poll() often; output goes to write(bytes)."""

    def __init__(self, write, board_id):
        self.write = write
        self.board_id = board_id
        self.stats = {"lines": 0, "badsum": 0, "long": 0, "junk": 0, "lost": 0}
        self.slots = {}  # canonical pin name -> Slot (the dist echo pin maps to its slot too)
        self.queue = []
        self.rx = bytearray()
        self.rx_long = self.rx_junk = False
        self.last_seq = 0
        self.last_reply = b""
        self.strict = False
        self.hb_ms = 1000
        self.hb_last = ticks_ms()
        # <ms> on the wire is 32-bit (PROTOCOL.md 4.2), MicroPython's ticks wrap at 2**30
        # (~12 days): ms_base is the 32-bit count at tick ms_ref, moved on every poll.
        self.ms_ref, self.ms_base = self.hb_last, 0
        self.n = 0
        self.greet()

    # ---- lines in ----

    def feed(self, data):
        for c in data:
            if c == 10:
                if self.rx_long:
                    self.stats["long"] += 1
                elif self.rx_junk:
                    self.stats["junk"] += 1
                else:
                    self.line(bytes(self.rx))
                self.rx = bytearray()
                self.rx_long = self.rx_junk = False
            elif not self.rx_long:
                if len(self.rx) >= LINE_MAX - 1:
                    self.rx_long = True
                else:
                    if (c < 0x20 or c > 0x7E) and c != 13:
                        self.rx_junk = True
                    self.rx.append(c)

    def line(self, raw):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:
            return
        star = raw.rfind(b"*")
        if star >= 0:
            digits = raw[star + 1:]
            try:
                good = len(digits) == 2 and int(digits, 16) == checksum(raw[:star])
            except ValueError:
                good = False
            if not good:
                self.stats["badsum"] += 1
                return
            raw = raw[:star]
        elif self.strict:
            self.stats["badsum"] += 1
            return
        self.stats["lines"] += 1
        tokens = raw.decode().split()
        seq = 0
        bad = len(tokens) > 24
        if tokens and tokens[0][0].isdigit():
            if tokens[0].isdigit() and int(tokens[0]) <= 65535:
                seq = int(tokens[0])
            else:
                bad = True
            tokens = tokens[1:]
        if bad or not tokens:
            self.last_seq = 0
            self.write(seal("err %d args" % seq))
            return
        if seq and seq == self.last_seq:
            self.write(self.last_reply)
            return
        try:
            reply = "ok %d%s" % (seq, self.execute(tokens[0].lower(), tokens[1:]))
        except Refused as refused:
            reply = "err %d %s" % (seq, refused.args[0])
        self.last_reply = seal(reply)
        self.last_seq = 0 if tokens[0].lower() == "hello" else seq
        self.write(self.last_reply)

    # ---- commands ----

    def execute(self, verb, args):
        """Run one command; returns the reply's value part (' 1' or '')."""
        if verb in ("in", "ana", "dist", "out", "pwm", "servo", "tone", "pix"):
            return self.configure(verb, args)
        handler = getattr(self, "cmd_" + verb, None)
        if handler is None:
            raise Refused("nofeat" if verb == "rfid" else "verb")
        return handler(args)

    def cmd_ping(self, args):
        if args:
            raise Refused("args")
        return ""

    def cmd_hello(self, args):
        self.greet()
        return ""

    def cmd_strict(self, args):
        if len(args) != 1:
            raise Refused("args")
        self.strict = bool(number(args[0], 0, 1, "args"))
        return ""

    def cmd_hb(self, args):
        if len(args) != 1:
            raise Refused("args")
        ms = number(args[0], 0, 60000, "args")
        if 0 < ms < 100:
            raise Refused("range")
        self.hb_ms, self.hb_last = ms, ticks_ms()
        return ""

    def cmd_stat(self, args):
        return "".join(" %s=%d" % (k, self.stats[k]) for k in ("lines", "badsum", "long", "junk", "lost"))

    def cmd_id(self, args):
        if len(args) != 1 or len(args[0]) != 8:
            raise Refused("args")
        try:
            v = int(args[0], 16)
        except ValueError:
            raise Refused("args") from None
        if v in (0, 0xFFFFFFFF):
            raise Refused("range")
        self.board_id = "%08X" % v
        with open("board_id", "w") as f:
            f.write(self.board_id)
        return " " + self.board_id

    def cmd_clear(self, args):
        if args:
            raise Refused("args")
        for slot in set(self.slots.values()):
            self.release(slot)
        self.queue = []
        return ""

    def cmd_free(self, args):
        slot = self.slot(args)
        self.release(slot)
        return ""

    def cmd_set(self, args):
        if len(args) not in (2, 3):
            raise Refused("args")
        slot = self.slot(args[:1], own=True)
        limits = {"out": 1, "pwm": 255, "servo": 180, "tone": 65535}
        if slot.role not in limits:
            raise Refused("role")
        if len(args) == 3 and slot.role != "tone":
            raise Refused("args")
        if args[1].lower() == "off":  # a servo goes limp: no pulses until the next angle
            if slot.role != "servo" or len(args) != 2:
                raise Refused("args")
            slot.hw.duty_u16(0)
            slot.value = None
            return ""
        v = number(args[1], 0, limits[slot.role])
        ms = number(args[2], 0, 65535) if len(args) == 3 else 0
        hw = slot.hw
        if slot.role == "out":
            hw.value(v)
        elif slot.role == "pwm":
            hw.duty_u16(v * 257)
        elif slot.role == "servo":
            hw.freq(50)
            hw.duty_ns((544 + v * (2400 - 544) // 180) * 1000)
        else:
            if v and v < 31:
                raise Refused("range")
            if v:
                hw.freq(v)
                hw.duty_u16(32768)
            else:
                hw.duty_u16(0)
            slot.params = (ticks_ms(), ms) if v and ms else None  # stop time for poll()
        slot.value = v
        return ""

    def cmd_px(self, args):
        if len(args) < 3:
            raise Refused("args")
        slot = self.slot(args[:1], own=True)
        if slot.role != "pix":
            raise Refused("role")
        strip = slot.hw
        if len(args) - 2 > PX_COLOURS:
            raise Refused("args")
        colours = []
        for text in args[2:]:
            try:
                if len(text) != 6:
                    raise ValueError
                v = int(text, 16)
            except ValueError:
                raise Refused("args") from None
            colours.append(((v >> 16) & 255, (v >> 8) & 255, v & 255))
        if args[1].lower() == "all":
            if len(colours) != 1:
                raise Refused("args")
            strip.fill(colours[0])
        else:
            first = number(args[1], 0, slot.params - 1)
            if first + len(colours) > slot.params:
                raise Refused("range")
            for i, colour in enumerate(colours):
                strip[first + i] = colour
        strip.write()
        return ""

    def cmd_get(self, args):
        if len(args) != 1:
            raise Refused("args")
        slot = self.slot(args, own=True)
        if slot.role == "in":
            return " %d" % slot.hw.value()
        if slot.role == "ana":
            return " %d" % self.analog(slot)
        if slot.role == "pix":
            return " %d" % slot.params
        if slot.role == "dist":
            return " %d" % (slot.cand or 0)
        if slot.value is None:  # a servo sending no pulses
            return " -"
        return " %d" % slot.value

    def slot(self, args, own=False):
        """The slot a one-pin command names; own: the pin must be the slot's main pin."""
        if len(args) != 1:
            raise Refused("args")
        name, kind, n = pin_name(args[0])
        slot = self.slots.get(name)
        if slot is None or (own and slot.name != name):
            raise Refused("pin" if kind == "D" and not self.valid(n) else "role")
        return slot

    # ---- roles ----

    @staticmethod
    def valid(n):
        return 0 <= n <= 29 if "rp2" in sys.platform else 0 <= n <= 39

    def gpio(self, text):
        name, kind, n = pin_name(text)
        if kind == "A" or not self.valid(n):
            raise Refused("pin")
        return name, n

    def configure(self, role, args):
        counts = {"in": (1, 3), "ana": (1, 3), "dist": (2, 4), "out": (1, 1), "pwm": (1, 1),
                  "servo": (1, 1), "tone": (1, 1), "pix": (2, 2)}
        lo, hi = counts[role]
        if not lo <= len(args) <= hi:
            raise Refused("args")
        if role == "ana":
            name, kind, n = pin_name(args[0])
            if kind != "A" or n > 7:
                raise Refused("pin")
        else:
            name, n = self.gpio(args[0])
        existing = self.slots.get(name)
        if existing and (existing.role != role or existing.name != name):
            raise Refused("taken")
        if role == "ana":
            interval = number(args[1], 10, 60000) if len(args) > 1 else 100
            threshold = number(args[2], 0, 1023) if len(args) > 2 else 8
            slot = existing or Slot(role, name, machine.ADC(ADC_BASE + n), None)
            slot.params = (interval, threshold)
            slot.value = self.analog(slot)
            self.slots[name] = slot
            return " %d" % slot.value
        if role == "in":
            pulls = {"up": machine.Pin.PULL_UP, "none": None, "down": DOWN}
            if len(args) > 1 and args[1].lower() not in pulls:
                raise Refused("args")
            pull = pulls[args[1].lower()] if len(args) > 1 else machine.Pin.PULL_UP
            if len(args) > 1 and args[1].lower() == "down" and DOWN is None:
                raise Refused("pin")
            debounce = number(args[2], 0, 10000) if len(args) > 2 else 20
            pin = machine.Pin(n, machine.Pin.IN, pull)
            slot = existing or Slot(role, name, pin, debounce)
            slot.hw, slot.params = pin, debounce
            slot.value = slot.cand = pin.value()
            self.slots[name] = slot
            return " %d" % slot.value
        if role == "dist":
            echo_name, echo_n = self.gpio(args[1])
            other = self.slots.get(echo_name)
            if echo_name == name or (other is not None and other is not existing):
                raise Refused("taken")
            interval = number(args[2], 30, 60000) if len(args) > 2 else 100
            threshold = number(args[3], 0, 4000) if len(args) > 3 else 20
            hw = (machine.Pin(n, machine.Pin.OUT, value=0), machine.Pin(echo_n, machine.Pin.IN))
            slot = existing or Slot(role, name, hw, None)
            slot.hw, slot.params = hw, (interval, threshold)
            slot.since = ticks_ms() - interval  # first ping right away
            self.slots[name] = self.slots[echo_name] = slot
            return ""
        if existing:  # the same output role again: nothing to change
            return ""
        if role in ("tone", "pix") and any(s.role == role for s in self.slots.values()):
            raise Refused("full")
        pin = machine.Pin(n, machine.Pin.OUT, value=0)
        if role == "out":
            hw, params = pin, None
        elif role == "pix":
            import neopixel

            count = number(args[1], 1, PIXELS)
            hw, params = neopixel.NeoPixel(pin, count), count
            hw.fill((0, 0, 0))
            hw.write()
        else:  # pwm, servo, tone: one PWM slice each, silent until set
            hw, params = machine.PWM(pin), None
            hw.duty_u16(0)
        slot = Slot(role, name, hw, params)
        slot.value = None if role == "servo" else 0  # a servo: no pulses until an angle
        self.slots[name] = slot
        return ""

    def release(self, slot):
        if slot.role == "pix":
            slot.hw.fill((0, 0, 0))
            slot.hw.write()
        elif slot.role in ("pwm", "servo", "tone"):
            slot.hw.deinit()
        for name in [k for k, v in self.slots.items() if v is slot]:
            del self.slots[name]
            if name[0] == "D":
                machine.Pin(pin_name(name)[2], machine.Pin.IN)

    def analog(self, slot):
        return slot.hw.read_u16() >> 6

    # ---- lines out ----

    def greet(self):
        body = "hello %d museokit %d %s %s %s" % (self.n, PROTOCOL, FIRMWARE, self.board_id, FEATURES)
        self.unsolicited(body)

    def unsolicited(self, body):
        self.write(seal(body))
        self.n += 1

    def event(self, ms, name, value):
        if len(self.queue) >= QUEUE:
            self.stats["lost"] += 1
        else:
            self.queue.append((ms, name, value))

    def millis(self, t):
        """Tick `t` (near the last poll's) as the 32-bit ms count since the firmware began."""
        return (self.ms_base + ticks_diff(t, self.ms_ref)) & 0xFFFFFFFF

    def poll(self):
        now = ticks_ms()
        self.ms_base, self.ms_ref = self.millis(now), now
        for slot in set(self.slots.values()):
            self.poll_slot(slot, now)
        for ms, name, value in self.queue:
            self.unsolicited("ev %d %d %s %d" % (self.n, self.millis(ms), name, value))
        self.queue = []
        if self.hb_ms and ticks_diff(now, self.hb_last) >= self.hb_ms:
            self.hb_last = now
            s = self.stats
            dropped = s["badsum"] + s["long"] + s["junk"]
            self.unsolicited("hb %d %d %d %d" % (self.n, self.millis(now), dropped, s["lost"]))

    def poll_slot(self, slot, now):
        if slot.role == "in":
            level = slot.hw.value()
            if level != slot.cand:
                slot.cand, slot.since = level, now
            if level != slot.value and ticks_diff(now, slot.since) >= slot.params:
                slot.value = level
                self.event(slot.since, slot.name, level)
        elif slot.role == "ana":
            interval, threshold = slot.params
            if ticks_diff(now, slot.since) >= interval:
                slot.since = now
                v = self.analog(slot)
                if v != slot.value and abs(v - slot.value) >= threshold:
                    slot.value = v
                    self.event(now, slot.name, v)
                elif not threshold:
                    self.event(now, slot.name, v)
        elif slot.role == "dist":
            interval, threshold = slot.params
            if ticks_diff(now, slot.since) >= interval:
                slot.since = now
                trig, echo = slot.hw
                trig.value(1)
                sleep_us(10)
                trig.value(0)
                us = machine.time_pulse_us(echo, 1, 30000)
                mm = us * 343 // 2000 if 0 < us <= 25000 else 0
                slot.cand = mm
                # threshold 0: every ping, changed or not
                if slot.value is None or not threshold or abs(mm - slot.value) >= threshold:
                    slot.value = mm
                    self.event(now, slot.name, mm)
        elif slot.role == "tone" and slot.params:
            started, ms = slot.params
            if ticks_diff(now, started) >= ms:
                slot.hw.duty_u16(0)
                slot.params = None


def board_id():
    """Stored by `id`, else from the chip's unique id: stable across resets and reflashing."""
    try:
        with open("board_id") as f:
            return f.read().strip()
    except OSError:
        uid = machine.unique_id()
        return "%08X" % (int.from_bytes(uid[-4:], "big") or 1)


class UsbSerial:
    """The USB serial console as a non-blocking byte port."""

    def __init__(self):
        import select

        self.poller = select.poll()
        self.poller.register(sys.stdin, select.POLLIN)
        self.out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else sys.stdout

    def read(self):
        data = b""
        while len(data) < 64 and self.poller.poll(0):
            data += sys.stdin.buffer.read(1)
        return data

    def write(self, data):
        self.out.write(data)


def run(port=None):
    """Serve the protocol forever on port (default: the USB serial console)."""
    port = port or UsbSerial()
    fw = Firmware(port.write, board_id())
    while True:
        data = port.read()
        if data:
            fw.feed(data)
        fw.poll()
        if not data:
            sleep_ms(1)
