"""Cabinet of curiosities: an object placed on the shelf tells its story.

Each object carries a printed ArUco marker (4x4, ids 0..49) underneath; STORIES
maps the id to the object's name, its story and the colour of the light ring.
"""

from museokit import enter, goto, log, on, state
from museokit.installation import ring, screen

INVITATION = "Posez un objet sur l'étagère · Put an object on the shelf"

STORIES = {
    7: ("owl", "This barn owl was found in the museum's attic in 1911.", "amber"),
    23: ("compass", "A ship's compass from the harbour master's office.", "cyan"),
    42: ("fossil", "An ammonite, 180 million years old, from the cliffs nearby.", "orange"),
}
UNKNOWN = ("unknown object", "This object has no story yet: ask at the desk.", "white")


@on("cam.marker_placed")
def tell_story(event):
    name, story, colour = STORIES.get(event.value, UNKNOWN)
    log.info("story of the %s (marker %s): %s", name, event.value, story)
    ring.fill(colour)
    screen.text(f"{name.capitalize()} — {story}")
    goto("story")


@enter("attract")
def invite():
    screen.text(INVITATION)


@on("cam.marker_removed")
def object_taken_back(event):
    if state() == "story":
        goto("attract")
