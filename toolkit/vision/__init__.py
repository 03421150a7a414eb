"""Camera triggers: a camera device watches zones of its picture with OpenCV and puts
events on the bus (`cam.motion`, `cam.marker_placed`, `cam.qr`...) like any sensor.

    sources.py    where frames come from: webcam, Pi camera, video file, generator
    zones.py      named polygons of the picture, checked against the frame
    trigger.py    the Trigger plugin base class and the helpers that time events
    triggers/     the built-in triggers (motion, presence, count, marker, qr, colour)
    pipeline.py   one processed frame: resize, run every trigger, annotate
    drivers.py    threads on the real clock, loop timers on the virtual clock
    camera.py     the `camera` device
    synth.py      generated frames and videos, for tests and scenarios
    cv.py         OpenCV and numpy, imported once with one clear message when missing

Privacy: frames stay in memory; nothing is stored or sent unless `save_frames` says so.
"""
