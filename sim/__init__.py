"""The simulator: scenario runner, virtual visitors (and, later, the window)."""
