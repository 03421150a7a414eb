"""What {{name}} does, beyond the rules in installation.toml.

Devices are imported by their id in installation.toml. Try changing a line,
then `museokit check .`, `museokit sim .` and type `press button`.
"""

from museokit import on
from museokit.installation import light


@on("button.held")
def long_press(event):
    light.blink(0.1, 0.1, n=5)
