"""Where a node's interaction log lives, and starting it beside a runtime.

`museokit run` logs by default into `<state dir>/interactions.sqlite` (the state
folder of toolkit/net/settings.py: `--state-dir`, else `MUSEOKIT_STATE_DIR`, else
`~/.local/state/museokit/<site>/<node>`), unless `[log] enabled = false` or
`--no-log`; `[log] file` or `--log FILE` name another file. A log that cannot be
opened costs one line and the installation runs without it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from museokit.ops.interactions.schema import LogError
from museokit.ops.interactions.writer import InteractionLog

if TYPE_CHECKING:
    from museokit.core.config import Installation
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.log")

FILENAME = "interactions.sqlite"


def default_path(site: str, node: str, state_dir: str | Path | None = None) -> Path:
    """`<state dir>/interactions.sqlite` for `node` of `site` (see the module's docstring)."""
    from museokit.net.settings import default_state_dir

    folder = Path(state_dir) if state_dir else default_state_dir(site, node)
    return folder / FILENAME


def log_path(inst: Installation, state_dir: str | Path | None = None,
             file: str | Path | None = None) -> Path:
    """The log file this node writes: `file`, else `[log] file` (relative names in the
    state folder), else the default."""
    default = default_path(inst.site, inst.node, state_dir)
    chosen = file if file is not None else inst.log.file
    if chosen is None:
        return default
    path = Path(chosen).expanduser()
    return path if path.is_absolute() or file is not None else default.parent / path


def start_log(runtime: Runtime, *, state_dir: str | Path | None = None,
              file: str | Path | None = None, lossless: bool = False) -> InteractionLog | None:
    """Attach a log to `runtime` (before `runtime.start()`, so its first events are kept);
    None, after one warning line, when the file cannot be used."""
    inst = runtime.installation
    path = log_path(inst, state_dir, file)
    try:
        interactions = InteractionLog(path, node=inst.node, installation=inst.name,
                                      keep_days=inst.log.keep_days, max_mb=inst.log.max_mb,
                                      lossless=lossless)
    except LogError as exc:
        log.warning("interaction log off: %s", exc)
        return None
    interactions.attach(runtime)
    log.debug("interaction log: %s", path)
    return interactions
