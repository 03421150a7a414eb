"""Touch pads, knobs and the camera's visitors in the simulator: scenarios, the harness,
virtual visitors' gallery days, and `…/<device>/sim/<action>` over a real Mosquitto."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from museokit.core.config import load_installation
from museokit.core.device import CommandError
from museokit.sim.scenario import load_scenario, run_scenario
from museokit.sim.visitors import run_gallery_day
from tests.conftest import REPO, device
from tests.net_fixtures import WAIT, wait_for

CABINET = REPO / "installations" / "cabinet-of-curiosities"
TAG_TABLE = REPO / "installations" / "tag-table"


def test_touch_pads_by_name_and_number(harness):
    h = harness(device("pads", "touch", "pads = {owl = 0, vase = 3}"))
    h.act("pads", "touch", "owl")
    h.act("pads", "touch", "5")
    h.act("pads", "release", "owl")
    assert [e.value for e in h.events("pads.touched")] == ["owl", 5]
    assert [e.value for e in h.events("pads.released")] == ["owl"]
    assert h.device("pads").touched == [5]
    with pytest.raises(CommandError, match="no pad 'lamp': pads are 0-11"):
        h.act("pads", "touch", "lamp")


def test_a_knob_turns_in_steps_both_ways(harness):
    h = harness(device("knob", "encoder", "a = 5\nb = 6"))
    h.act("knob", "turn", "3")
    h.act("knob", "turn", "-1")
    h.act("knob", "turn")
    assert [e.value for e in h.events("knob.rotated")] == [3, -1, 1]
    assert h.device("knob").position == 3
    with pytest.raises(CommandError, match="whole number of steps"):
        h.act("knob", "turn", "lots")


def test_scenario_lines_show_and_hide_a_marker_to_the_camera(tmp_path):
    folder = tmp_path / "cabinet"
    shutil.copytree(CABINET, folder)
    (folder / "scenarios" / "visitor.scenario").write_text(
        "at 1    show cam \"marker 42\"\n"
        "        expect cam.marker_placed = 42 within 500ms\n"
        "        expect states.story within 500ms\n"
        "at 3    hide cam \"marker 42\"\n"
        "+0.5    show cam \"marker 42\"              # a hand passed over it\n"
        "        expect no cam.marker_removed for 3s\n"
        "at 8    hide cam\n"
        "        expect cam.marker_removed = 42 within 2s\n"
        "        expect states.attract within 2s\n")
    installation = load_installation(folder)
    result = run_scenario(installation, load_scenario(folder / "scenarios/visitor.scenario",
                                                      installation))
    assert result.passed, "\n".join(result.lines())


def test_showing_a_camera_what_it_has_no_trigger_for_is_refused_in_one_line(tmp_path):
    installation = load_installation(CABINET)
    from museokit.sim.harness import Harness
    with Harness(installation) as h, pytest.raises(CommandError) as caught:
        h.act("cam", "show", "qr hello")
    assert "has no 'qr' trigger; its triggers: marker" in str(caught.value)


def test_a_gallery_day_plays_the_camera_fast(tmp_path):
    report = run_gallery_day(load_installation(CABINET), visitors=300, hours=1, seed=3)
    assert "cam" not in report.untouched_devices
    # about half the visitors only walk past (sim/visitors.py PASSING): no marker shown
    assert report.actions > 150 and report.handler_errors == 0
    assert report.events > report.actions  # placed/removed, states, ring and screen follow


def test_tag_table_gallery_day_plays_reader_and_pads(tmp_path):
    report = run_gallery_day(load_installation(TAG_TABLE), visitors=200, hours=1, seed=5)
    assert report.untouched_devices == [] and report.handler_errors == 0


def test_touch_and_turn_over_mqtt(mosquitto, node, tmp_path):
    folder = tmp_path / "piece"
    folder.mkdir()
    (folder / "installation.toml").write_text(
        '[installation]\nsite = "kinds"\n\n' + device("pads", "touch", "pads = {owl = 0}")
        + device("knob", "encoder", "a = 5\nb = 6") + device("cam", "camera", "source = 0\n"
                                                          "[[devices.triggers]]\nkind = \"marker\""))
    main = node(folder, mosquitto.url)
    pub = ["mosquitto_pub", "-p", str(mosquitto.port), "-q", "1"]
    for topic, message in (("pads/sim/touch", "owl"), ("knob/sim/turn", "2"),
                           ("cam/sim/show", "marker 7")):
        subprocess.run([*pub, "-t", f"museokit/kinds/main/{topic}", "-m", message], check=True,
                       timeout=WAIT)
    devices = main.runtime.devices
    wait_for(lambda: devices["pads"].touched == ["owl"], what="the owl pad touched")
    wait_for(lambda: devices["knob"].position == 2, what="the knob turned")
    wait_for(lambda: devices["cam"].label == "visitors", what="the camera shown a marker")


@pytest.mark.subprocess
def test_the_headless_console_plays_the_new_kinds(tmp_path):
    """Typed lines, as in `museokit sim PATH --headless`: pads, the reader, the knob-free
    tag table and the cabinet's camera."""
    from tests.test_cli import MUSEOKIT
    folder = tmp_path / "table"
    shutil.copytree(TAG_TABLE, folder)
    lines = "tag reader 04A3B2C1\ntouch pads object\nrelease pads object\nquit\n"
    done = subprocess.run([MUSEOKIT, "sim", str(folder), "--headless"], input=lines, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for seen in ("reader.placed 04A3B2C1", "pads.touched object", "voice.started sounds/owl.wav",
                 "pads.released object"):
        assert seen in done.stdout, done.stdout
    proc = subprocess.Popen([MUSEOKIT, "sim", str(CABINET), "--headless"], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    while " ready" not in proc.stdout.readline():
        assert proc.poll() is None
    proc.stdin.write('show cam "marker 23"\n')
    proc.stdin.flush()
    for line in proc.stdout:  # the marker is placed once seen for place_after (0.2 s)
        if "cam.marker_placed 23" in line:
            break
    proc.stdin.write("quit\n")
    proc.stdin.flush()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err


def test_remote_touch_pads_and_knobs_read_the_state_their_node_publishes():
    from museokit.net.remote import READS
    touch, knob = READS["touch"], READS["encoder"]
    state = {"label": "touched", "touched": ["owl", 5]}
    assert touch["touched"](state, {}) == ["owl", 5] and touch["is_active"](state, {})
    assert not touch["is_active"]({"touched": []}, {})
    assert knob["position"]({"position": -3}, {}) == -3 and knob["value"]({}, {}) == 0
