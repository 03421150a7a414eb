# museokit node over Wi-Fi (Pico W, ESP32): the board joins the installation's broker as one
# node, on docs/design.md's MQTT topics, so the lead node sees its devices as remote devices.
#
# It reads `node.json` (see firmware/README.md), joins Wi-Fi, connects umqtt.simple with the
# last will `offline` on museokit/<site>/<node>/status, publishes retained `online` and
# `meta`, each device's retained `state`, events at QoS 1 ({"ts", "value", "seq"}), and runs
# the commands it receives on .../<device>/cmd/<name> after checking them. Pins go through
# the serial firmware's hardware layer (museokit.Firmware): a device's `pin` is the very
# configure line the host would send over USB ("in D15 up 20", "pwm D16").
#
# Written for MicroPython, like museokit.py: %-formatting, no dataclasses, no typing, no
# contextlib (not built in), no starred list displays, no zip(strict=).
# ruff: noqa: UP031, RUF005, SIM105, B905
import json
import time

import network
from umqtt.simple import MQTTClient, MQTTException

from museokit import FIRMWARE, Firmware, Refused, pin_name, sleep_ms, ticks_diff, ticks_ms

CONFIG = "node.json"
QUEUE = 50  # events kept while the broker is away (the oldest go first)
MAX_PAYLOAD = 256  # a command payload longer than this is refused unread
BACKOFF_MIN, BACKOFF_MAX = 500, 30000  # ms between reconnect attempts, doubling
WIFI_WAIT = 15000  # ms to wait for Wi-Fi to join before trying again
EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0  # boards that count from 2000


def log(text):
    print("museokit: " + text)


class ConfigError(Exception):
    """A node.json entry the board cannot serve; args[0] says which key and the fix."""


# ---- devices: the museokit kinds a board serves, with the same events and commands ----

class Device:
    kind = role = ""
    events = ()
    verbs = ()  # the configure verbs its `pin` line may use
    commands = {}  # command -> its parameter names, in order

    def __init__(self, node, dev_id, spec):
        self.node, self.id, self.spec = node, dev_id, spec
        tokens = str(spec.get("pin", "")).split()
        if not tokens or tokens[0] not in self.verbs:
            raise ConfigError("devices.%s.pin: a %s takes a line like \"%s D15\" (got %r)"
                              % (dev_id, self.kind, self.verbs[0], spec.get("pin")))
        try:
            self.pin = pin_name(tokens[1] if len(tokens) > 1 else "")[0]
            node.pins.execute(tokens[0], tokens[1:])
        except Refused as refused:
            raise ConfigError("devices.%s.pin: %r refused (%s): see PROTOCOL.md for the pins "
                              "and arguments of `%s`" % (dev_id, spec["pin"], refused.args[0],
                                                         tokens[0])) from None
        self.verb, self.args = tokens[0], tokens[1:]
        self.state = {}

    def option(self, key, default, lo, hi):
        v = self.spec.get(key, default)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
            raise ConfigError("devices.%s.%s: %r is not a number from %g to %g"
                              % (self.id, key, v, lo, hi))
        return v

    def emit(self, name, value=None, ms=None):
        self.node.event(self.id, name, value, ticks_ms() if ms is None else ms)

    def set_state(self, **changes):
        self.state.update(changes)
        self.node.changed[self.id] = True

    def describe(self):
        """Its entry in the node's meta, as toolkit's Device.describe() writes it."""
        return {"kind": self.kind, "role": self.role, "events": list(self.events) + ["offline", "online"],
                "commands": sorted(self.commands), "sim_actions": []}

    def level(self, ms, value):
        """The debounced level of its input pin changed at `ms`."""

    def tick(self, now):
        """Timers: called every loop."""


class Button(Device):
    kind, role, verbs = "button", "input", ("in",)
    events = ("pressed", "released", "held", "long_press", "clicked")

    def __init__(self, node, dev_id, spec):
        Device.__init__(self, node, dev_id, spec)
        # Wired to ground with the pull-up (the usual way): pressed reads 0.
        self.active = 0 if len(self.args) < 2 or self.args[1].lower() == "up" else 1
        self.hold = int(self.option("hold_time", 1.0, 0.01, 3600) * 1000)
        self.long = int(self.option("long_press", 2.0, 0.01, 3600) * 1000)
        self.window = int(self.option("click_window", 0.4, 0.01, 5) * 1000)
        self.down = self.held = self.last_up = None
        self.clicks = 0
        self.set_state(label="released", pressed=False)

    def level(self, ms, value):
        if value == self.active:
            self.down, self.held, self.last_up = ms, False, None
            self.set_state(label="pressed", pressed=True)
            self.emit("pressed", None, ms)
        elif self.down is not None:
            took = ticks_diff(ms, self.down)
            self.down = None
            self.set_state(label="released", pressed=False)
            self.emit("released", took / 1000, ms)
            if took < min(self.hold, self.long):
                self.clicks += 1
                self.last_up = ms
                return
            self.clicks_done(ms)
            if took >= self.long:
                self.emit("long_press", took / 1000, ms)

    def tick(self, now):
        if self.down is not None and not self.held and ticks_diff(now, self.down) >= self.hold:
            self.held = True
            self.emit("held", ticks_diff(now, self.down) / 1000)
        if self.last_up is not None and ticks_diff(now, self.last_up) >= self.window:
            self.clicks_done(now)

    def clicks_done(self, ms):
        count, self.clicks, self.last_up = self.clicks, 0, None
        if count:
            self.emit("clicked", count, ms)


class Motion(Device):
    kind, role, verbs = "motion", "input", ("in",)
    events = ("motion", "no_motion")

    def __init__(self, node, dev_id, spec):
        Device.__init__(self, node, dev_id, spec)
        # A PIR's output goes high on motion: `in D3 none`. With the pull-up, low is motion.
        self.active = 0 if len(self.args) < 2 or self.args[1].lower() == "up" else 1
        self.retrigger = int(self.option("retrigger", 2.0, 0, 3600) * 1000)
        self.moving, self.gone = False, None
        self.set_state(label="still", motion=False)

    def level(self, ms, value):
        if value != self.active:
            self.gone = ms if self.moving else None
            return
        self.gone = None
        if not self.moving:
            self.moving = True
            self.set_state(label="motion", motion=True)
            self.emit("motion", None, ms)

    def tick(self, now):
        if self.gone is not None and ticks_diff(now, self.gone) >= self.retrigger:
            self.moving, self.gone = False, None
            self.set_state(label="still", motion=False)
            self.emit("no_motion")


def to_ms(v, what):
    if v < 0.001 or v > 86400:
        raise Refused("%s must be from 0.001 to 86400 seconds" % what)
    return int(v * 1000)


class Led(Device):
    kind, role, verbs = "led", "output", ("out", "pwm")
    events = ("finished",)
    commands = {"on": (), "off": (), "toggle": (), "brightness": ("level",),
                "blink": ("on_time", "off_time", "n"), "pulse": ("fade_in", "fade_out", "n")}

    def __init__(self, node, dev_id, spec):
        Device.__init__(self, node, dev_id, spec)
        self.pwm = self.verb == "pwm"
        self.bright = self.option("brightness", 1.0, 0, 1) if self.pwm else 1.0
        self.pattern = None  # (shape, first ms, second ms, n or None, start) while animating
        self.shown = None
        self.write(0.0, "off")

    def out(self, level):
        if level != self.shown:
            self.shown = level
            value = int(level * 255 + 0.5) if self.pwm else int(level > 0)
            self.node.pins.execute("set", [self.pin, str(value)])

    def write(self, level, label):
        self.pattern = None
        self.out(level)
        self.set_state(label=label, value=level, pattern=None)

    def need_pwm(self, what):
        if not self.pwm:
            raise Refused("%s needs a dimmable LED: configure its pin with `pwm`, not `out`" % what)

    def cmd_on(self):
        self.write(self.bright, "on")

    def cmd_off(self):
        self.write(0.0, "off")

    def cmd_toggle(self):
        if self.state.get("label") == "off":
            self.cmd_on()
        else:
            self.cmd_off()

    def cmd_brightness(self, level):
        self.need_pwm("brightness")
        level = min(1.0, max(0.0, level))
        self.write(level, "on" if level > 0 else "off")

    def cmd_blink(self, on_time=0.5, off_time=0.5, n=None):
        self.animate("blink", to_ms(on_time, "on_time"), to_ms(off_time, "off_time"), n, "blinking")

    def cmd_pulse(self, fade_in=1.0, fade_out=1.0, n=None):
        self.need_pwm("pulse")
        self.animate("pulse", to_ms(fade_in, "fade_in"), to_ms(fade_out, "fade_out"), n, "pulsing")

    def animate(self, shape, first, second, n, label):
        if n is not None and (n != int(n) or n < 1):
            raise Refused("n must be a whole number from 1")
        self.pattern = (shape, first, second, n, ticks_ms())
        self.set_state(label=label, value=None,
                       pattern="%s %g %g %s" % (shape, first / 1000, second / 1000, n or "forever"))

    def tick(self, now):
        if self.pattern is None:
            return
        shape, first, second, n, start = self.pattern
        t, period = ticks_diff(now, start), first + second
        if n is not None and t >= n * period:
            self.write(0.0, "off")
            self.emit("finished")
            return
        phase = t % period
        if shape == "blink":
            self.out(self.bright if phase < first else 0.0)
        elif phase < first:
            self.out(round(self.bright * phase / first, 2))
        else:
            self.out(round(self.bright * (1 - (phase - first) / second), 2))


class Relay(Led):
    kind, verbs = "relay", ("out",)
    commands = {"on": (), "off": (), "toggle": (), "pulse": ("seconds",)}

    def write(self, level, label):
        self.pattern = None
        self.out(level)
        self.set_state(label=label, value=level > 0)

    def cmd_pulse(self, seconds):
        self.animate("blink", to_ms(seconds, "seconds"), 0, 1, "pulsing")


KINDS = {cls.kind: cls for cls in (Button, Motion, Led, Relay)}


def arguments(cmd, payload, params):
    """A command payload (JSON: empty, a value, a list or an object) as positional and named
    arguments, numbers only; raises Refused saying what is wrong."""
    if len(payload) > MAX_PAYLOAD:
        raise Refused("payload of %d bytes is over the %d-byte limit" % (len(payload), MAX_PAYLOAD))
    try:
        value = json.loads(payload) if payload.strip() else None
    except ValueError:
        raise Refused("payload is not JSON") from None
    args, kwargs = [], {}
    if isinstance(value, dict):
        kwargs = value
        for key in kwargs:
            if key not in params:
                raise Refused("%s has no argument %r; its arguments: %s"
                              % (cmd, key, ", ".join(params) or "none"))
    elif isinstance(value, list):
        args = value
    elif value is not None:
        args = [value]
    if len(args) > len(params):
        raise Refused("%s takes %d arguments (%s), not %d"
                      % (cmd, len(params), ", ".join(params) or "none", len(args)))
    named = list(zip(params, args)) + list(kwargs.items())
    for key, v in named:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not -1e9 < v < 1e9:
            raise Refused("%s: expected a number, got %r" % (key, v))
    return args, kwargs


# ---- the node ------------------------------------------------------------------------

class Pins(Firmware):
    """The serial firmware's pins and roles; its input events go to the node, not a wire."""

    def __init__(self, node):
        Firmware.__init__(self, lambda line: None, "")
        self.hb_ms = 0
        self.node = node

    def event(self, ms, name, value):
        self.node.pin_changed(ms, name, value)


class Node:
    def __init__(self, config):
        self.cfg = config
        self.prefix = "museokit/%s/%s/" % (config["site"], config["node"])
        self.status = self.prefix + "status"
        self.pins = Pins(self)
        self.devices, self.by_pin, self.changed = {}, {}, {}
        self.queue = []
        self.seq = self.dropped = 0
        self.client = None
        self.wlan = network.WLAN(network.STA_IF)
        self.joining = None  # ms when Wi-Fi joining started
        self.retry, self.backoff = ticks_ms(), 0
        self.beat = ticks_ms()
        self.heartbeat = int(config.get("heartbeat", 30) * 1000)
        self.unix, self.unix_at = time.time() + EPOCH, ticks_ms()
        self.synced = False  # the clock, by NTP once per Wi-Fi join
        for dev_id, spec in config.get("devices", {}).items():
            self.add(dev_id, spec)

    def add(self, dev_id, spec):
        cls = KINDS.get(spec.get("kind") if isinstance(spec, dict) else None)
        try:
            if cls is None:
                raise ConfigError("devices.%s.kind: %r is not a kind this board serves; use one of %s"
                                  % (dev_id, spec.get("kind") if isinstance(spec, dict) else spec,
                                     ", ".join(sorted(KINDS))))
            device = cls(self, dev_id, spec)
        except ConfigError as bad:
            log("%s: %s; the other devices run" % (CONFIG, bad.args[0]))
            return
        self.devices[dev_id] = device
        self.by_pin[device.pin] = device

    # -- events and state out ----------------------------------------------------------
    def pin_changed(self, ms, name, value):
        device = self.by_pin.get(name)
        if device is not None:
            device.level(ms, value)

    def event(self, dev_id, name, value, ms):
        if len(self.queue) >= QUEUE:
            self.queue.pop(0)
            self.dropped += 1
            log("%d events dropped: the broker has been away too long" % self.dropped)
        self.seq += 1
        ts = round(self.unix + ticks_diff(ms, self.unix_at) / 1000, 3)
        self.queue.append((dev_id, name, json.dumps({"ts": ts, "value": value, "seq": self.seq})))

    def flush(self):
        while self.queue:
            dev_id, name, payload = self.queue[0]
            self.client.publish(self.prefix + dev_id + "/event/" + name, payload, False, 1)
            self.queue.pop(0)  # only once the broker has it: at least once
        for dev_id in list(self.changed):
            del self.changed[dev_id]
            self.client.publish(self.prefix + dev_id + "/state",
                                json.dumps(self.devices[dev_id].state), True, 1)

    def meta(self):
        return {"toolkit": FIRMWARE, "installation": self.cfg.get("installation", ""),
                "site": self.cfg["site"], "node": self.cfg["node"],
                "devices": {k: d.describe() for k, d in self.devices.items()}}

    # -- commands in -------------------------------------------------------------------
    def on_message(self, topic, payload):
        topic = topic.decode() if isinstance(topic, bytes) else topic
        try:
            parts = topic[len(self.prefix):].split("/")
            device = self.devices.get(parts[0])
            if device is None:
                raise Refused("no device %r on node %s" % (parts[0], self.cfg["node"]))
            name = parts[2]
            if name not in device.commands:
                raise Refused("%s (%s) has no command %r; its commands: %s"
                              % (device.id, device.kind, name, ", ".join(sorted(device.commands))))
            args, kwargs = arguments(name, payload, device.commands[name])
            getattr(device, "cmd_" + name)(*args, **kwargs)
        except Refused as refused:
            log("refused %s %r: %s" % (topic, bytes(payload[:60]), refused.args[0]))

    # -- the link --------------------------------------------------------------------------
    def connect(self):
        cfg = self.cfg["broker"]
        client = MQTTClient("museokit-%s-%s" % (self.cfg["site"], self.cfg["node"]), cfg["host"],
                            cfg.get("port", 1883), cfg.get("user"), cfg.get("password"),
                            max(1, int(self.heartbeat * 2 / 1000)))
        client.set_callback(self.on_message)
        client.set_last_will(self.status, b"offline", True, 1)
        self.client = client
        client.connect()
        # Subscribed before `online`: the lead sends the commands it held as soon as it sees it.
        client.subscribe(self.prefix + "+/cmd/+", 1)
        client.publish(self.status, b"online", True, 1)
        client.publish(self.prefix + "meta", json.dumps(self.meta()), True, 1)
        for dev_id in self.devices:
            self.changed[dev_id] = True
        self.flush()

    def join(self, now):
        """One step towards Wi-Fi and the broker; never blocks longer than a connect."""
        if not self.wlan.isconnected():
            if self.joining is None:
                self.wlan.active(True)
                self.wlan.connect(self.cfg["wifi"]["ssid"], self.cfg["wifi"].get("password", ""))
                self.joining = now
            elif ticks_diff(now, self.joining) >= WIFI_WAIT:
                log("Wi-Fi %r not joined after %d s: check wifi.ssid and wifi.password in %s"
                    % (self.cfg["wifi"]["ssid"], WIFI_WAIT // 1000, CONFIG))
                self.wlan.disconnect()
                self.wait(now)
            return
        self.joining = None
        if not self.synced:
            self.sync_clock()
        waiting = len(self.queue)
        try:
            self.connect()
        except (OSError, MQTTException) as exc:
            self.drop()
            log("broker %s:%s: connecting failed (%r); next try in %.1f s"
                % (self.cfg["broker"]["host"], self.cfg["broker"].get("port", 1883), exc,
                   self.next_backoff() / 1000))
            self.wait(now)
            return
        self.backoff = 0
        log("online as %s: %d devices, %d events sent that waited" % (self.prefix[:-1],
                                                                     len(self.devices), waiting))

    def next_backoff(self):
        return min(BACKOFF_MAX, max(BACKOFF_MIN, self.backoff * 2))

    def wait(self, now):
        self.backoff = self.next_backoff()
        self.retry = now
        self.joining = None

    def drop(self):
        """Forget the connection without a DISCONNECT, so the broker sends the last will."""
        if self.client is not None and self.client.sock is not None:
            try:
                self.client.sock.close()
            except OSError:
                pass
        self.client = None

    def sync_clock(self):
        try:
            import ntptime
        except ImportError:  # CPython in the tests: the host's clock is right already
            ntptime = None
        if ntptime is not None:
            try:
                ntptime.settime()
            except OSError as exc:
                log("clock not set by NTP (%r): event times count from the board's clock" % exc)
        self.unix, self.unix_at = time.time() + EPOCH, ticks_ms()
        self.synced = True

    def step(self):
        now = ticks_ms()
        self.pins.poll()
        for device in self.devices.values():
            device.tick(now)
        if ticks_diff(now, self.unix_at) > 3600000:  # keep clear of the 2**29 ms ticks wrap
            self.unix, self.unix_at = self.unix + ticks_diff(now, self.unix_at) / 1000, now
        if self.client is None:
            if ticks_diff(now, self.retry) >= self.backoff:
                self.join(now)
            return
        try:
            if not self.wlan.isconnected():
                raise OSError("Wi-Fi lost")
            self.client.check_msg()
            if ticks_diff(now, self.beat) >= self.heartbeat:
                self.beat = now
                self.client.publish(self.status, b"online", True, 1)
            self.flush()
        except OSError as exc:
            self.drop()
            self.retry, self.backoff = now, 0
            self.synced = self.synced and self.wlan.isconnected()
            log("lost the broker (%r); reconnecting, events wait on the board" % exc)


def load(path=CONFIG):
    """node.json, checked: returns the config or None after one log line saying what to fix."""
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as exc:
        log("%s: cannot read it (%s): copy a node.json as firmware/README.md shows" % (path, exc))
        return None
    need = (("wifi", "ssid"), ("broker", "host"), ("site", None), ("node", None))
    for key, sub in need:
        value = cfg.get(key) if isinstance(cfg, dict) else None
        if sub is not None:
            value = value.get(sub) if isinstance(value, dict) else None
        if not isinstance(value, str) or not value:
            log("%s: %s is missing: add it, e.g. %s" % (path, key + ("." + sub if sub else ""),
                                                       '"wifi": {"ssid": "gallery", "password": "..."}'
                                                       if key == "wifi" else '"%s": "..."' % (sub or key)))
            return None
    for key, value, lo, hi in (("heartbeat", cfg.get("heartbeat", 30), 0.1, 3600),
                               ("broker.port", cfg["broker"].get("port", 1883), 1, 65535)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            log("%s: %s is %r: give a number from %g to %g" % (path, key, value, lo, hi))
            return None
    return cfg


def run(path=CONFIG):
    """Serve the node forever (main.py calls this when node.json is on the board)."""
    cfg = load(path)
    if cfg is None:
        return
    node = Node(cfg)
    while True:
        node.step()
        sleep_ms(1)
