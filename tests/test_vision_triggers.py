"""Every camera trigger on generated pictures, on the virtual clock: same frames, same events."""

from __future__ import annotations

import pytest

from museokit.vision.synth import Scene, Show, box_at, marker_at, moving_box, qr_at
from tests.vision_kit import LEFT_RIGHT, camera_toml, seen, trigger, watch

RED, BLUE, WHITE = (0, 0, 230), (230, 60, 0), (235, 235, 235)


# still: 2 s (still_after) after the last frame with movement: differencing sees the box
# vanish at 3.0 s; the background model last sees the box at 2.9 s.
@pytest.mark.parametrize(("method", "still_at"), [("diff", 5.0), ("mog2", 4.9)])
def test_motion_is_reported_in_the_zone_where_it_happens_then_still(harness, method, still_at):
    # A box crosses the left half from 1 s to 3 s; the right half never moves.
    scene = Scene([Show(1, 3, moving_box((20, 200), (60, 0), (60, 60), WHITE))])
    toml = camera_toml(trigger("motion", f'method = "{method}"'), LEFT_RIGHT)
    h = watch(harness, toml, scene, 7)
    assert seen(h, "cam.motion") == [(1.0, "left")]
    assert seen(h, "cam.still") == [(still_at, None)]


def test_motion_ignores_changes_below_min_area(harness):
    # A 10x10 box is 0.07 % of a half-frame zone: below min_area (1 %).
    scene = Scene([Show(1, 3, moving_box((20, 200), (40, 0), (10, 10), WHITE))])
    h = watch(harness, camera_toml(trigger("motion"), LEFT_RIGHT), scene, 4)
    assert seen(h, "cam.motion") == []


def test_presence_dwell_and_left_follow_the_clock(harness):
    # Someone steps into the right half at 1 s and stays until 6 s.
    scene = Scene([Show(1, 6, box_at((400, 100, 160, 300), WHITE))])
    toml = camera_toml(trigger("presence", "dwell = 3.0\narrive_after = 0.5\nleave_after = 1.5"),
                       LEFT_RIGHT)
    h = watch(harness, toml, scene, 9)
    assert seen(h, "cam.presence") == [(1.5, "right")]
    assert seen(h, "cam.dwell") == [(4.0, {"zone": "right", "seconds": 3.0})]
    assert seen(h, "cam.left") == [(7.4, "right")]   # last seen at 5.9 s, + leave_after


def test_a_passer_by_shorter_than_arrive_after_is_not_presence(harness):
    scene = Scene([Show(1, 1.3, box_at((400, 100, 160, 300), WHITE))])
    h = watch(harness, camera_toml(trigger("presence"), LEFT_RIGHT), scene, 4)
    assert seen(h, "cam.presence") == []


def test_count_follows_the_number_of_separate_shapes(harness):
    scene = Scene([Show(1, 8, box_at((60, 100, 120, 200), WHITE)),
                   Show(3, 6, box_at((420, 100, 120, 200), WHITE))])
    h = watch(harness, camera_toml(trigger("count", "settle = 1.0")), scene, 10)
    assert seen(h, "cam.count") == [(2.0, 1), (4.0, 2), (7.0, 1), (9.0, 0)]


def test_count_ignores_shapes_smaller_than_min_size(harness):
    scene = Scene([Show(1, 5, box_at((60, 100, 120, 200), WHITE)),
                   Show(1, 5, box_at((420, 100, 20, 20), WHITE))])
    h = watch(harness, camera_toml(trigger("count", "min_size = 0.01")), scene, 4)
    assert [n for _, n in seen(h, "cam.count")] == [1]


def test_markers_are_placed_and_removed_by_id(harness):
    scene = Scene([Show(1, 4, marker_at(7, (160, 240))), Show(2, None, marker_at(23, (480, 240)))])
    toml = camera_toml(trigger("marker", "place_after = 0.2\nremoval_delay = 1.0"))
    h = watch(harness, toml, scene, 7)
    assert seen(h, "cam.marker_placed") == [(1.2, 7), (2.2, 23)]
    assert seen(h, "cam.marker_removed") == [(4.9, 7)]   # last seen at 3.9 s, + removal_delay


def test_a_hand_covering_a_marker_briefly_does_not_remove_it(harness):
    # The marker is hidden from 2.0 to 2.5 s, less than removal_delay (1 s).
    scene = Scene([Show(1, 2, marker_at(5, (320, 240))), Show(2.5, 6, marker_at(5, (320, 240)))])
    h = watch(harness, camera_toml(trigger("marker")), scene, 6.5)
    assert seen(h, "cam.marker_placed") == [(1.2, 5)]
    assert seen(h, "cam.marker_removed") == []


def test_markers_outside_the_trigger_zones_or_ids_are_ignored(harness):
    scene = Scene([Show(1, None, marker_at(7, (160, 240))), Show(1, None, marker_at(9, (480, 240))),
                   Show(1, None, marker_at(3, (480, 100)))])
    toml = camera_toml(trigger("marker", 'zones = ["right"]\nids = [9, 7]'), LEFT_RIGHT)
    h = watch(harness, toml, scene, 3)
    assert [v for _, v in seen(h, "cam.marker_placed")] == [9]


def test_another_dictionary_reads_only_its_own_markers(harness):
    # Markers drawn from 4x4_50; a camera set to 6x6_250 must not read them.
    scene = Scene([Show(1, None, marker_at(7, (320, 240)))])
    h = watch(harness, camera_toml(trigger("marker", 'dictionary = "6X6_250"')), scene, 3)
    assert seen(h, "cam.marker_placed") == []


def test_a_qr_code_is_reported_once_while_shown_and_again_after_forget_after(harness):
    scene = Scene([Show(1, 4, qr_at("story:owl", (320, 240))),
                   Show(4.5, 5.5, qr_at("story:owl", (320, 240))),   # back after 0.5 s: same visit
                   Show(10, 11, qr_at("story:owl", (320, 240)))])     # back after 4.5 s: again
    h = watch(harness, camera_toml(trigger("qr", "forget_after = 3.0")), scene, 12)
    assert seen(h, "cam.qr") == [(1.0, "story:owl"), (10.0, "story:owl")]


def test_two_different_qr_codes_are_two_events(harness):
    scene = Scene([Show(1, 2, qr_at("hello", (320, 240))), Show(2, 3, qr_at("museum", (320, 240)))])
    h = watch(harness, camera_toml(trigger("qr")), scene, 4)
    assert [v for _, v in seen(h, "cam.qr")] == ["hello", "museum"]


def test_the_dominant_colour_of_a_zone_is_named_with_its_rgb(harness):
    scene = Scene([Show(1, 3, box_at((360, 40, 240, 400), RED)),
                   Show(3, 5, box_at((360, 40, 240, 400), BLUE)),
                   Show(1, 5, box_at((40, 200, 40, 40), RED))])   # too small a share of `left`
    toml = camera_toml(trigger("colour", "settle = 0.5"), LEFT_RIGHT)
    h = watch(harness, toml, scene, 6)
    events = seen(h, "cam.colour")
    assert [(t, v["zone"], v["name"]) for t, v in events] == [(1.5, "right", "red"),
                                                               (3.5, "right", "blue")]
    red = events[0][1]["rgb"]
    assert red[0] > 200 and red[1] < 30 and red[2] < 30


def test_grey_is_reported_only_when_asked_for(harness):
    scene = Scene([Show(1, None, box_at((0, 0, 640, 480), (128, 128, 128)))])
    plain = watch(harness, camera_toml(trigger("colour")), scene, 3)
    assert seen(plain, "cam.colour") == []
    asked = watch(harness, camera_toml(trigger("colour", 'colours = ["grey", "red"]')), scene, 3)
    assert [v["name"] for _, v in seen(asked, "cam.colour")] == ["grey"]


def test_the_same_scene_gives_the_same_events_every_run(harness):
    scene = Scene([Show(1, 4, marker_at(7, (160, 240))),
                   Show(2, 5, moving_box((350, 100), (40, 10), (80, 80), WHITE))])
    toml = camera_toml(trigger("marker") + trigger("motion") + trigger("presence"), LEFT_RIGHT)
    runs = [[(s.t, s.key, s.value) for s in watch(harness, toml, scene, 7).seen] for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) >= 5
