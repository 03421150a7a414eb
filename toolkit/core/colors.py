"""Colours for pixel strips and LEDs: names, `#rrggbb`, or `[r, g, b]`."""

from __future__ import annotations

from typing import Any

RGB = tuple[int, int, int]

NAMED: dict[str, RGB] = {
    "black": (0, 0, 0), "off": (0, 0, 0), "white": (255, 255, 255), "red": (255, 0, 0),
    "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0), "cyan": (0, 255, 255),
    "magenta": (255, 0, 255), "orange": (255, 128, 0), "purple": (128, 0, 255),
    "pink": (255, 105, 180), "warm": (255, 180, 100), "amber": (255, 191, 0),
}


def parse_color(raw: Any) -> RGB:
    """Turn `'red'`, `'#ff0000'`, `'ff0000'` or `[255, 0, 0]` into an (r, g, b) tuple."""
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in NAMED:
            return NAMED[text]
        hexa = text.removeprefix("#")
        if len(hexa) == 6:
            try:
                return (int(hexa[0:2], 16), int(hexa[2:4], 16), int(hexa[4:6], 16))
            except ValueError:
                pass
        names = ", ".join(sorted(NAMED))
        raise ValueError(f"unknown colour {raw!r}: use a name ({names}), '#rrggbb' or [r, g, b]")
    if isinstance(raw, list | tuple) and len(raw) == 3 and all(
            isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in raw):
        return (int(raw[0]), int(raw[1]), int(raw[2]))
    raise ValueError(f"a colour is a name, '#rrggbb' or [r, g, b] with 0..255 each, got {raw!r}")


def scale(color: RGB, level: float) -> RGB:
    return (round(color[0] * level), round(color[1] * level), round(color[2] * level))


def hex_color(color: RGB) -> str:
    """`#rrggbb`, as states and MQTT show a colour."""
    return "#{:02x}{:02x}{:02x}".format(*color)
