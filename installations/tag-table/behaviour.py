"""Tag table: the object on the reader tells its story; touching it plays its sound.

STORIES maps each tag's friendly name (from `tags` in installation.toml) to the
object's story and its sound in sounds/ (`python make_media.py` writes sample ones).
"""

from museokit import enter, goto, on, state

INVITATION = "Posez un objet sur la table · Put an object on the table"

STORIES = {
    "owl": ("This barn owl was found in the museum's attic in 1911.", "sounds/owl.wav"),
    "compass": ("A ship's compass from the harbour master's office.", "sounds/compass.wav"),
}
UNKNOWN = ("This object has no story yet: ask at the desk.", None)


@on("reader.placed")
def tell_story(event):
    name = reader.tag_name or "unknown object"  # noqa: F821 — devices are globals named by id
    story, _ = STORIES.get(name, UNKNOWN)
    screen.text(f"{name.capitalize()} — {story}")  # noqa: F821
    goto("story")


@on("pads.touched", value="object")
def hear_it(event):
    if state() == "story":
        _, sound = STORIES.get(reader.tag_name, UNKNOWN)  # noqa: F821
        if sound:
            voice.play(sound)  # noqa: F821


@on("reader.removed")
def object_taken_back(event):
    voice.stop()  # noqa: F821
    goto("waiting")


@enter("waiting")
def invite():
    screen.text(INVITATION)  # noqa: F821
