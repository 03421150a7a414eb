"""The simulator, imported as `museokit.sim`: an installation run without its hardware.

    harness.py    the installation on the virtual clock with simulated devices (tests use it)
    scenario.py   scenario files: timed visitor actions and expectations, run headless
    visitors.py   a whole gallery day of random virtual visitors
    live.py       a live session in real time, hot-reloaded when its files change
    console.py    `museokit sim` in a terminal (over SSH, in CI)
    window.py     `museokit sim` with a display: the window (pygame), with panel.py and ui.py
    record.py     record a session played by hand as a scenario that replays it
    replay.py     `--replay LOG`: a logged gallery day's visitors again (fromlog.py reads them)
    command.py    the `museokit sim` command itself
    screenshots.py  the README's pictures of the window (python -m museokit.sim.screenshots)

It sits on top of the library: `museokit.sim` imports `museokit`, never the reverse.
"""
