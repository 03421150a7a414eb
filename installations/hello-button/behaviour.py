"""hello-button behaviour: the button toggles the lamp while someone is engaged."""

from museokit import goto, on, state


@on("door.pressed")
def toggle_lamp():
    if state() == "attract":  # a press wakes the piece even if the PIR missed the visitor
        goto("engaged")
        lamp.on()  # noqa: F821 — devices are globals named by their id
    else:
        lamp.toggle()  # noqa: F821


@on("door.held")
def say_hello(event):
    log.info("someone held the button for %s s", event.value)  # noqa: F821
