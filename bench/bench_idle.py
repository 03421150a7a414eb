"""An idle `museokit run`: three devices, nobody in the gallery, CPU over SECONDS.

museokit: `museokit run` on a button, a PIR and a PWM LED (nothing animated), on
gpiozero's mock pins with PWM (no Pi here; on a Pi, lgpio waits for edges in the kernel
the same way: no polling). Raw baseline: a bare gpiozero script with the same three
devices and `signal.pause()`, what a hand-written installation would cost.

CPU is utime + stime from /proc/<pid>/stat over SECONDS, after SETTLE seconds of start-up,
as a percentage of one core. Target: <= 0.1 % of a core (issue 17: no polling when
nothing happens).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Result, cpu_seconds, progress, report

SECONDS = 30.0
SETTLE = 5.0
INSTALLATION = """\
[installation]
name = "Idle gallery"

[[devices]]
id = "door"
kind = "button"
pin = 17

[[devices]]
id = "entrance"
kind = "motion"
pin = 4

[[devices]]
id = "lamp"
kind = "led"
pin = 18
pwm = true
"""
BARE = """\
import signal
from gpiozero import PWMLED, Button, MotionSensor
door, entrance, lamp = Button(17), MotionSensor(4), PWMLED(18)
door.when_pressed = lambda: lamp.on()
signal.pause()
"""
MOCK_PINS = {"GPIOZERO_PIN_FACTORY": "mock", "GPIOZERO_MOCK_PIN_CLASS": "mockpwmpin"}


def idle_cpu_percent(command: list[str]) -> float:
    proc = subprocess.Popen(command, env={**os.environ, **MOCK_PINS},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(SETTLE)
        if proc.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {proc.returncode}")
        used, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(SECONDS)
        return 100 * (cpu_seconds(proc.pid) - used) / (time.monotonic() - t0)
    finally:
        # SIGTERM, as systemd stops a service (run on its own, this bench may have inherited
        # SIGINT ignored from a shell's background job); a child that hangs is killed.
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "idle"
        folder.mkdir()
        (folder / "installation.toml").write_text(INSTALLATION)
        museokit = [str(Path(sys.executable).with_name("museokit")), "run", str(folder),
                    "--state-dir", str(Path(tmp) / "state"), "--display", "headless"]
        progress(f"idle museokit run, three devices, {SECONDS:.0f} s")
        ours = idle_cpu_percent(museokit)
        progress(f"bare gpiozero script, same devices, {SECONDS:.0f} s")
        raw = idle_cpu_percent([sys.executable, "-c", BARE])
    return [Result("idle run, 3 devices: CPU", ours, raw, "% core", 0.1,
                   note=f"interaction log and watchdog on; resolution one clock tick "
                        f"({100 / os.sysconf('SC_CLK_TCK') / SECONDS:.2f} %)")]


if __name__ == "__main__":
    report("Idle museokit run", run())
