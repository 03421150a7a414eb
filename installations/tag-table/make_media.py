"""Write the sample sounds in sounds/: a short call for each object (16-bit mono WAV).

    python make_media.py

Replace them with real recordings of the same names; nothing else changes.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
#: Each object's call: (frequency Hz, seconds) notes.
CALLS = {"owl": [(392, 0.35), (0, 0.1), (330, 0.6)], "compass": [(880, 0.12), (1175, 0.12)] * 3}


def write(path: Path, notes: list[tuple[int, float]]) -> Path:
    frames = bytearray()
    for hz, seconds in notes:
        n = int(RATE * seconds)
        for i in range(n):
            fade = min(1.0, i / 200, (n - i) / 200)
            value = math.sin(2 * math.pi * hz * i / RATE) * 0.4 * fade if hz else 0.0
            frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path


if __name__ == "__main__":
    folder = Path(__file__).with_name("sounds")
    folder.mkdir(exist_ok=True)
    for name, notes in CALLS.items():
        print(f"wrote {write(folder / f'{name}.wav', notes)}")
