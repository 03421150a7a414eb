"""The lamp follows the visitor: dark beyond 2 m, full at 60 cm; the motor runs while
someone is near, and for 5 s after they step back."""

from museokit import every, on
from museokit.installation import lamp, motor, visitor

FAR, NEAR = 200, 60  # cm


@every(0.2)
def follow_visitor():
    d = visitor.distance
    level = 0.0 if d is None else min(1.0, max(0.0, (FAR - d) / (FAR - NEAR)))
    if abs(level - lamp.value) >= 0.02:
        lamp.brightness(round(level, 2))


@on("visitor.entered", value="near")
def start_motor():
    motor.on()


@on("visitor.left", value="near")
def stop_motor_soon():
    motor.pulse(5)  # on for 5 more seconds, then off
