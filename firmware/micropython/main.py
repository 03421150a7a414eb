# Runs at boot on a Pico / Pico W or ESP32. With a node.json on the board, it is a museokit
# node over Wi-Fi (node.py, MQTT); without one, it serves the serial protocol on USB.
try:
    open("node.json").close()
except OSError:
    import museokit

    museokit.run()
else:
    import node

    node.run()
