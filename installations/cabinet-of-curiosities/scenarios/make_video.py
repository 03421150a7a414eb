"""A generated visit to the cabinet, for the scenarios: `sim_source` names this script, so
`museokit sim . --scenario scenarios` draws each frame from `frame(t)` as it goes.

    python scenarios/make_video.py            # writes scenarios/visitor.avi, to look at
                                              # or to give to --camera

Nothing recorded is committed: the video is drawn from this script (the tests
draw it again in a temporary folder). Timeline, 640x480 at 10 fps:

    0-2 s    empty shelf
    2-8 s    the owl (marker 7) on the shelf
    3-6 s    marker 3 on the cabinet's top shelf, outside the `shelf` zone
    8-10 s   empty shelf
    10-14 s  the compass (marker 23); a hand covers it from 11.5 to 12 s
    14-18 s  empty shelf
"""

from __future__ import annotations

import sys
from pathlib import Path

from museokit.vision.synth import Scene, Show, marker_at, write_video

SHELF = (320, 360)
VISIT = Scene([
    Show(2, 8, marker_at(7, SHELF)),
    Show(3, 6, marker_at(3, (320, 80), side=80)),
    Show(10, 11.5, marker_at(23, SHELF)),
    Show(12, 14, marker_at(23, SHELF)),
])
SECONDS = 18


def frame(t: float):
    """The visit at second `t` (what the simulator watches)."""
    return VISIT.frame(t)


def main(out: Path) -> Path:
    return write_video(out, VISIT.frame, SECONDS, fps=10)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("visitor.avi")
    print(f"wrote {main(target)}")
