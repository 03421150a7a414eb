"""Register-level models of chips, plugged into gpiozero's MockFactory (SPI) or served as
an smbus2-shaped bus (I2C): test doubles of hardware this machine does not have."""
