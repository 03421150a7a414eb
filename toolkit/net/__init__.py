"""Networking: a node's MQTT link to a broker (paho-mqtt), remote devices, the
on-disk outbox, Home Assistant discovery and Mosquitto configuration.

Only `link` imports paho; the rest is standard library, so `museokit check`
and broker configuration work without the `mqtt` extra.
"""
