"""The core: events, bus, clocks, the runtime loop, device and backend base classes, the
installation file and its checks (states, rules, schedule, nodes, pins), the behaviour API
and the installation runtime.

Standard library only, and the lowest floor: it imports nothing from backends, net, ops,
media, vision or the simulator (tests/test_layers.py checks that).
"""
