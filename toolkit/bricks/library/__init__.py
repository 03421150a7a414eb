"""Behaviour bricks that ship with museokit, registered in `museokit.bricks` like any other."""
