"""attract-loop: `idle` seconds without any of the `inputs` events runs the `attract`
actions; the next input runs the `engaged` actions. The pattern of hello-button's
attract and engaged states, for pieces that have no states of their own.
"""

from museokit import after, do, on

opts = options  # noqa: F821 — museokit injects this brick's options
if not opts.inputs:
    raise ValueError('attract-loop needs inputs, like options = { inputs = ["door.pressed"] }')
idle = float(opts.idle)
waiting = {"timer": None, "attracting": False}


def start_attract():
    waiting["timer"] = None
    waiting["attracting"] = True
    do(*opts.attract)


def visitor_came():
    if waiting["timer"] is not None:
        waiting["timer"].cancel()
    waiting["timer"] = after(idle, start_attract)
    if waiting["attracting"]:
        waiting["attracting"] = False
        do(*opts.engaged)


for pattern in opts.inputs:
    on(pattern)(visitor_came)
waiting["timer"] = after(idle, start_attract)
