"""The serial backend: boards running museokit firmware (firmware/PROTOCOL.md), over pyserial.

Importing this package does not import pyserial; finding a board does.
"""

from museokit.backends.serial.backend import SerialBackend

__all__ = ["SerialBackend"]
