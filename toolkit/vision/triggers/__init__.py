"""The built-in camera triggers; each registers in the `museokit.triggers` entry-point group."""
