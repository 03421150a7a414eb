"""Backends: gpio (gpiozero), serial (firmware), mqtt, sim. Registered as entry points."""
