"""Built-in devices. Each registers in the `museokit.devices` entry-point group."""
