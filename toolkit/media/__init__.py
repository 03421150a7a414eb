"""Screens, projectors and sound: pygame for pixels and the mixer, OpenCV for video decode.

Nothing here is imported unless an installation declares a `screen` or `sound`
device, so a button-and-LED piece never loads pygame.
"""

import os

# pygame prints a banner on import; museokit's log says what is running instead.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
