"""The talking portrait: a visitor walks up, the portrait speaks; then back to the slideshow.

The rules in installation.toml do the work; this file only makes the demo's sample
media when they are missing (a real piece ships its own files in media/).
"""

from make_media import make_media

make_media()
