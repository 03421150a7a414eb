"""Running an installation in the gallery: the systemd service and its watchdog, opening-hours
display power, and `museokit doctor`."""
