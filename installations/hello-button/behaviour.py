"""hello-button behaviour: the button toggles the lamp while someone is engaged."""

from toolkit import goto, on, state


@on("door.pressed")
def toggle_lamp():
    if state() == "attract":  # a press also wakes the piece, even if the PIR missed them
        goto("engaged")
    lamp.toggle()  # noqa: F821 — devices are globals named by their id


@on("door.held")
def say_hello(event):
    log.info("someone held the button for %s s", event.value)  # noqa: F821
