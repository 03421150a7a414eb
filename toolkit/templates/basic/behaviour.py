"""What {{name}} does, beyond the rules in installation.toml.

Every device is a global named by its id (`button`, `light`). Try changing a
line, then `museokit sim .` and type `press button`.
"""

from museokit import on


@on("button.held")
def long_press(event):
    light.blink(0.1, 0.1, n=5)  # noqa: F821 — devices are globals named by their id
