"""Tag table: the object on the reader tells its story; touching it plays its sound.

STORIES maps each tag's friendly name (from `tags` in installation.toml) to the
object's story and its sound in sounds/ (`python make_media.py` writes sample ones).
"""

from museokit import enter, goto, on, state
from museokit.installation import reader, screen, voice

INVITATION = "Posez un objet sur la table · Put an object on the table"

STORIES = {
    "owl": ("Cette chouette effraie a été trouvée au grenier du musée en 1911 · "
            "This barn owl was found in the museum's attic in 1911.", "sounds/owl.wav"),
    "compass": ("Un compas de marine du bureau du capitaine de port · "
                "A ship's compass from the harbour master's office.", "sounds/compass.wav"),
}
UNKNOWN = ("Cet objet n'a pas encore d'histoire : demandez à l'accueil · "
           "This object has no story yet: ask at the desk.", None)


@on("reader.placed")
def tell_story(event):
    name = reader.tag_name or "unknown object"
    story, _ = STORIES.get(name, UNKNOWN)
    screen.text(f"{name.capitalize()} — {story}")
    goto("story")


@on("pads.touched", value="object")
def hear_it(event):
    if state() == "story":
        _, sound = STORIES.get(reader.tag_name, UNKNOWN)
        if sound:
            voice.play(sound)


@on("reader.removed")
def object_taken_back(event):
    voice.stop()
    goto("waiting")


@enter("waiting")
def invite():
    screen.text(INVITATION)
