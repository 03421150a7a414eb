"""Evaluation: visits, sessions and Serrell's measures read from the interaction log.

`rules.py` says which devices see passers-by, which ones visitors play with and
which play content (from `[evaluation]` and the installation, or guessed from a
bare log); `metrics.py` computes every figure in one pass over the log;
`report/` draws them (HTML with SVG, PDF, CSV, JSON); `logcmd.py` is
`museokit log`. Definitions: docs/evaluation.md.
"""
