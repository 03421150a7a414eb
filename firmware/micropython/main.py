# Runs at boot on a Pico or ESP32: serve museokit's serial protocol on the USB console.
import museokit

museokit.run()
