"""The lamp follows the visitor: dark beyond 2 m, full at 60 cm; the motor runs while
someone is near, and for 5 s after they step back."""

from museokit import every, on

FAR, NEAR = 200, 60  # cm


@every(0.2)
def follow_visitor():
    d = visitor.distance  # noqa: F821 — devices are globals named by their id
    level = 0.0 if d is None else min(1.0, max(0.0, (FAR - d) / (FAR - NEAR)))
    if abs(level - lamp.value) >= 0.02:  # noqa: F821
        lamp.brightness(round(level, 2))  # noqa: F821


@on("visitor.entered", value="near")
def start_motor():
    motor.on()  # noqa: F821


@on("visitor.left", value="near")
def stop_motor_soon():
    motor.pulse(5)  # noqa: F821 — on for 5 more seconds, then off
