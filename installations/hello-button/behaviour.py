"""hello-button behaviour: the button toggles the lamp while someone is engaged."""

from museokit import goto, log, on, state
from museokit.installation import lamp


@on("door.pressed")
def toggle_lamp():
    if state() == "attract":  # a press wakes the piece even if the PIR missed the visitor
        goto("engaged")
        lamp.on()
    else:
        lamp.toggle()


@on("door.held")
def say_hello(event):
    log.info("someone held the button for %s s", event.value)
