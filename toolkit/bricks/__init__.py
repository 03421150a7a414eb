"""Bricks: what one team shares and the next team forks.

A brick is a folder with `brick.toml` (`manifest`); `fork` copies one into a new
piece, `score` rates it, `pack` builds its wheel and sdist, `catalog` lists and
publishes many, and `sheet` prints its wiring, parts and power budget.
"""
