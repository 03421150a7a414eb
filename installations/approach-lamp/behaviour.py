"""The motor runs while someone is near, and for 5 s after they step back. (The lamp
follows the visitor through the distance-fade brick: see [[uses]] in installation.toml.)"""

from museokit import on
from museokit.installation import motor


@on("visitor.entered", value="near")
def start_motor():
    motor.on()


@on("visitor.left", value="near")
def stop_motor_soon():
    motor.pulse(5)  # on for 5 more seconds, then off
