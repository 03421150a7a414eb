"""distance-fade: the lamp follows the visitor, dark beyond `far`, full at `near`.

Options (installation.toml, `[[uses]] brick = "distance-fade"`): sensor, lamp,
far, near (cm), every (s), step. museokit gives this module its `options`.
"""

from museokit import device, every

opts = options  # noqa: F821 — museokit injects this brick's options
FAR, NEAR = float(opts.far), float(opts.near)
if FAR <= NEAR:
    raise ValueError(f"distance-fade: far ({FAR}) must be more than near ({NEAR})")
sensor, lamp = device(opts.sensor), device(opts.lamp)


@every(float(opts.every))
def follow_visitor():
    d = sensor.distance
    level = 0.0 if d is None else min(1.0, max(0.0, (FAR - d) / (FAR - NEAR)))
    if abs(level - lamp.value) >= float(opts.step):
        lamp.brightness(round(level, 2))
