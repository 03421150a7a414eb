"""Sample media made on the spot, for tests, benchmarks and the examples: the repository
carries scripts, never binaries.

Video frames carry their own number in their pixels (eight black or white
stripes, the bits of `frame % 256`), which survive lossy compression, so a
test can read which frame a screen shows.
"""

from __future__ import annotations

import math
import struct
import wave
import zlib
from pathlib import Path

import cv2
import numpy as np

from museokit.vision.synth import write_frames

BITS = 8


def solid_image(path: Path, size: tuple[int, int], color: tuple[int, int, int]) -> Path:
    """A PNG of one colour (RGB)."""
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:, :] = color[::-1]
    return _write_image(path, image)


def marked_image(path: Path, size: tuple[int, int], color: tuple[int, int, int],
                 mark: tuple[int, int, int]) -> Path:
    """A PNG of one colour with a band of `mark` along its top tenth (shows which way is up)."""
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:, :] = color[::-1]
    image[: max(1, size[1] // 10), :] = mark[::-1]
    return _write_image(path, image)


def _write_image(path: Path, bgr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(path.suffix or ".png", bgr)
    assert ok, f"cannot encode {path.suffix}"
    path.write_bytes(data.tobytes())  # cv2.imwrite cannot write every Unicode name everywhere
    return path


def numbered_frame(number: int, size: tuple[int, int], tint: tuple[int, int, int] = (0, 0, 0)
                   ) -> np.ndarray:
    """A BGR frame whose stripes spell `number % 256`; the rest tinted (RGB) to tell videos apart."""
    w, h = size
    frame = np.zeros((h, w, 3), np.uint8)
    frame[:, :] = tint[::-1]
    stripe = w // BITS
    for bit in range(BITS):
        frame[h // 4: 3 * h // 4, bit * stripe: (bit + 1) * stripe] = 255 if (number >> bit) & 1 else 0
    return frame


def read_number(rgb: np.ndarray) -> int:
    """The number spelt by a frame drawn at any size (an RGB array, rows first)."""
    h, w = rgb.shape[:2]
    stripe = w / BITS
    row = rgb[h // 2]
    return sum(1 << bit for bit in range(BITS) if row[int((bit + 0.5) * stripe)].mean() > 128)


def numbered_video(path: Path, frames: int, size: tuple[int, int] = (160, 90), fps: float = 25,
                   fourcc: str = "mp4v", tint: tuple[int, int, int] = (0, 0, 0)) -> Path:
    """A video whose frame k shows the number k (see `read_number`)."""
    return write_frames(path, (numbered_frame(k, size, tint) for k in range(frames)), fps, fourcc)


def tone_wav(path: Path, seconds: float, hz: float = 440.0, rate: int = 22050) -> Path:
    """A mono 16-bit sine tone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    samples = (np.sin(2 * math.pi * hz * t) * 12000).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


# -- bad files, for the bad-input tests --------------------------------------------------
def truncated_video(path: Path, frames: int = 40) -> Path:
    """An MJPEG AVI cut in half: its header announces `frames`, fewer decode."""
    numbered_video(path, frames, fourcc="MJPG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def unknown_codec_video(path: Path) -> Path:
    """An MP4 whose video track names a codec no decoder knows."""
    numbered_video(path, 10)
    data = bytearray(path.read_bytes())
    config = data.find(bytes([0x04, 0x80, 0x80, 0x80]), data.find(b"esds"))
    data[config + 5] = 0xC0  # objectTypeIndication: "user private"
    path.write_bytes(bytes(data).replace(b"mp4v", b"zzzz"))
    return path


def huge_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header says `width` x `height` (the pixel data is cut short)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * width) * 4)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)
                     + chunk(b"IEND", b""))
    return path
