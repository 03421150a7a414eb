"""Write the TOML that brick manifests use: tables, arrays of tables, inline tables, scalars.

The standard library reads TOML but does not write it; `fork` rewrites a manifest
with this, and `pack` writes a pyproject.toml.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def key(name: str) -> str:
    return name if _BARE.match(name) else json.dumps(name, ensure_ascii=False)


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return ("-" if v < 0 else "") + ("nan" if math.isnan(v) else "inf")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }" if v else "{}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(data: dict[str, Any], first: Iterable[str] = ()) -> str:
    """TOML text for `data`: scalars at the top, then tables and arrays of tables in order
    (the names in `first` before the rest)."""
    order = [*[k for k in first if k in data], *[k for k in data if k not in first]]
    out = [f"{key(k)} = {value(data[k])}" for k in order if not _is_table(data[k])
           and not _is_table_array(data[k])]
    for k in order:
        v = data[k]
        if _is_table(v):
            out += ["", f"[{key(k)}]", *(f"{key(n)} = {value(x)}" for n, x in v.items())]
        elif _is_table_array(v):
            for table in v:
                out += ["", f"[[{key(k)}]]", *(f"{key(n)} = {value(x)}" for n, x in table.items())]
    return "\n".join(out).lstrip("\n") + "\n"


def _is_table(v: Any) -> bool:
    return isinstance(v, dict)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(t, dict) for t in v)
