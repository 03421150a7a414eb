"""SPDX licence ids museokit knows, for code and for content (images, sounds, texts).

A short list of the common ones, shipped so that `check` works offline. Anything
else can be written `LicenseRef-<name>` (SPDX's own escape) with the terms in a file.
Expressions combine ids with AND, OR, WITH and parentheses.
"""

from __future__ import annotations

import re

CODE = (
    "0BSD", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-2.0", "Artistic-2.0",
    "BSD-1-Clause", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSL-1.0",
    "CECILL-2.1", "CECILL-B", "CECILL-C", "EPL-2.0", "EUPL-1.2",
    "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "ISC",
    "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "MIT", "MIT-0",
    "MPL-2.0", "PSF-2.0", "Python-2.0", "Unlicense", "WTFPL", "Zlib",
    # hardware
    "CERN-OHL-P-2.0", "CERN-OHL-S-2.0", "CERN-OHL-W-2.0", "TAPR-OHL-1.0",
)
CONTENT = (
    "CC0-1.0", "CC-PDDC", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
    "CC-BY-ND-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0", "etalab-2.0",
    "LAL-1.3", "OFL-1.1", "ODbL-1.0", "ODC-By-1.0", "PDDL-1.0", "GFDL-1.3-or-later",
)
EXCEPTIONS = ("Classpath-exception-2.0", "LLVM-exception", "GCC-exception-3.1")
KNOWN = frozenset(CODE + CONTENT)
_BY_LOWER = {i.lower(): i for i in KNOWN}
_TOKEN = re.compile(r"\(|\)|[A-Za-z0-9.+:-]+")


def problem(expression: str) -> tuple[str, str] | None:
    """None if `expression` is a usable SPDX expression, else (message, hint)."""
    from museokit.core.suggest import suggest

    tokens = _TOKEN.findall(expression)
    if not tokens or "".join(tokens) != expression.replace(" ", ""):
        return f"{expression!r} is not an SPDX licence expression", 'for example "MIT" or "CC-BY-4.0"'
    after_with = False
    for token in tokens:
        if token in "()" or token in ("AND", "OR", "WITH"):
            after_with = token == "WITH"
            continue
        if after_with:
            after_with = False
            if token not in EXCEPTIONS:
                return f"unknown SPDX exception {token!r}", f"known: {', '.join(EXCEPTIONS)}"
            continue
        if token.startswith("LicenseRef-") or token in KNOWN:
            continue
        if token.lower() in _BY_LOWER:
            return f"SPDX ids are case-sensitive: {token!r}", f"write '{_BY_LOWER[token.lower()]}'"
        return (f"unknown SPDX licence id {token!r}",
                suggest(token, KNOWN) or "see https://spdx.org/licenses/ (or write "
                "LicenseRef-<name> with the terms in a file)")
    return None


def is_open_content(expression: str) -> bool:
    """Whether the content licence lets the next team reuse it (no NC, no ND)."""
    return not any(part in expression for part in ("-NC", "-ND"))
