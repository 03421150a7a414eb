"""The motor runs while someone is near, and for 5 s after they step back. (The lamp
follows the visitor through the distance-fade brick: see [[uses]] in installation.toml.)"""

from museokit import on


@on("visitor.entered", value="near")
def start_motor():
    motor.on()  # noqa: F821


@on("visitor.left", value="near")
def stop_motor_soon():
    motor.pulse(5)  # noqa: F821 — on for 5 more seconds, then off
