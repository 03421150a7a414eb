"""The core: events, bus, clock, runtime loop, device base classes, installation runtime."""
