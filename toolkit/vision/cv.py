"""OpenCV and numpy, with one clear message when they are not installed."""

from __future__ import annotations

try:
    import cv2
    import numpy as np
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise ImportError(f"the camera needs OpenCV and numpy ({exc}): run "
                      "`pip install 'museokit[vision]'` in the museokit folder") from exc

#: A BGR image, as OpenCV gives and takes them.
Frame = np.ndarray

__all__ = ["Frame", "cv2", "np"]
