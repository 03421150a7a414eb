"""Evaluation metrics from hand-built logs (numbers computed by hand, compared exactly),
and `museokit report` end to end: HTML in real headless Chromium, PDF through pdftoppm,
CSV/JSON, and one line for each bad range."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from museokit.cli import main
from museokit.core.events import Event
from museokit.core.schedule import parse_schedule
from museokit.evaluation.metrics import Period, compute
from museokit.evaluation.report.figures import PLOTS
from museokit.evaluation.rules import Rules, from_installation
from museokit.ops.interactions import InteractionLog
from museokit.ops.interactions.schema import open_for_reading
from tests.conftest import REPO

T = time.mktime((2026, 1, 5, 10, 0, 0, 0, 0, -1))  # Monday 5 January 2026, 10:00 local
HELLO = REPO / "installations" / "hello-button"
PORTRAIT = REPO / "installations" / "talking-portrait"

#: (seconds after T, device, event, value)
DAY = [
    (0, "pir", "motion", None), (1, "screen", "started", "a.mp4"),
    (5, "door", "pressed", None), (5.2, "door", "released", 0.2),
    (15, "pir", "no_motion", None),           # visit A: 0..12 (retrigger 3 s), an interaction
    (31, "screen", "finished", "a.mp4"),      # a.mp4 complete: 30 s
    (50, "runtime", "handler_error", {"handler": "h", "on": "door.pressed", "error": "X"}),
    (100, "pir", "motion", None), (103, "pir", "no_motion", None),    # B: passes, no stop
    (200, "pir", "motion", None), (204.5, "pir", "no_motion", None),  # C: 1.5 s, no stop
    (300, "pir", "motion", None), (305, "pir", "no_motion", None),    # D: 2 s, a stop
    (400, "door", "pressed", None),           # E: a session nobody passing was seen for
    (500, "screen", "started", "a.mp4"), (515, "screen", "started", "b.png"),  # a: 15 s, cut
    (520, "screen", "error", "bad file"),     # b.png interrupted after 5 s
    (600, "screen", "started", "attract.png"),  # the attract loop: not content
    (700, "door", "offline", "unplugged"), (760, "door", "online", None),
    (10500, "pir", "motion", None), (10503, "pir", "no_motion", None),  # F: passes, late
]
#: A visitor who stays a long while: the PIR sees motion for 100 s, then 30 s later
#: (beyond the 20 s gap, but the PIR still sees them) they press the button.
LONG_STAY = [(0, "pir", "motion", None), (130, "door", "pressed", None),
             (140, "pir", "no_motion", None), (141, "pir", "motion", None),
             (144, "pir", "no_motion", None)]


def _rules(**kw: object) -> Rules:
    base: dict[str, object] = dict(presence=frozenset({"pir"}), interactions=frozenset({"door"}),
                                   content=frozenset({"screen"}), session_gap=20.0, stop_seconds=2.0,
                                   silent_hours=1.0, primary={"door": "pressed", "pir": "motion"},
                                   attract_media=frozenset({"attract.png"}), inputs=("door", "pir"),
                                   presence_tail={"pir": 3.0})
    base.update(kw)
    return Rules(**base)  # type: ignore[arg-type]


def _write_log(path: Path, rows: list[tuple[float, str, str, object]],
               runs: list[tuple[float, float]]) -> Path:
    log = InteractionLog(path, keep_days=None, interval=0.01)
    for i, (dt, device, name, value) in enumerate(rows):
        log.record(Event(device, name, value, T + dt, i, "main"))
    log.close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM runs")
    db.executemany("INSERT INTO runs (node, started, last_seen, stopped, version) VALUES "
                   "('main', ?, ?, ?, 'test')", [(T + a, T + b, T + b) for a, b in runs])
    db.commit()
    db.close()
    return path


@pytest.fixture
def day_log(tmp_path: Path) -> Path:
    return _write_log(tmp_path / "day.sqlite", DAY, [(-600, 3600), (7200, 10800)])


def test_metrics_of_a_hand_built_day_are_exact(day_log: Path) -> None:
    m = compute(open_for_reading(day_log), _rules(), Period(T - 3600, T + 14400, "day"))
    assert m.events == len(DAY)
    assert m.visits == 6                        # A B C D E F
    assert m.passers_by == 5 and m.stopped == 2  # A and D stopped; E was never seen passing
    assert m.attraction_power == 0.4
    assert m.holding_times == [12.0, 2.0, 0.0] and m.sessions == 3
    assert m.holding_median == 2.0
    assert m.holding_distribution() == {"0–5 s": 2, "5–10 s": 0, "10–20 s": 1, "20–30 s": 0,
                                        "30–60 s": 0, "60–120 s": 0, "120–300 s": 0, "≥ 300 s": 0}
    a, b = m.content["a.mp4"], m.content["b.png"]
    assert (a.completed, a.interrupted, a.completion_rate, a.length) == (1, 1, 0.5, 30.0)
    assert a.holding_power == 0.75             # (30/30 + 15/30) / 2
    assert (b.completed, b.interrupted, b.completion_rate, b.holding_power) == (0, 1, 0.0, None)
    assert "attract.png" not in m.content
    assert m.interactions() == {"door": 2, "pir": 5}
    assert m.handler_errors == {"h": 1}
    assert m.nodes["main"].up == 7800.0         # 09:00-11:00 of the first run, then 12:00-13:00
    assert m.nodes["main"].offline == [(T + 3600, T + 7200)]
    assert m.device_offline == {"door": [(T + 700, T + 760, "unplugged")]}
    assert m.open_hours == 7800 / 3600 and m.sessions_per_open_hour == 3 / (7800 / 3600)
    assert m.sessions_by_day() == {"2026-01-05": 3}
    assert m.heatmap()[0][10] == 3 and sum(map(sum, m.heatmap())) == 3
    assert m.silent == {"door": T + 400}        # the pir spoke 300 s before its node stopped


def test_a_presence_keeps_a_visit_going(tmp_path: Path) -> None:
    log = _write_log(tmp_path / "long.sqlite", LONG_STAY, [(-60, 600)])
    m = compute(open_for_reading(log), _rules(), Period(T - 60, T + 600, "stay"))
    # One visit from the first motion to 3 s before the last no_motion, though 130 s passed
    # between the first two events (the gap is 20 s): the PIR saw someone all along.
    assert (m.visits, m.passers_by, m.stopped, m.holding_times) == (1, 1, 1, [141.0])


def test_a_camera_presence_counts_and_a_presence_never_ended_stops_after_an_hour(
        tmp_path: Path) -> None:
    rows = [(0, "cam", "presence", {"zones": ["shelf"], "count": 1}), (40, "cam", "left", "shelf"),
            (100, "pir", "motion", None),          # this PIR never says no_motion...
            (5000, "door", "pressed", None)]      # ...so an hour on, it no longer holds a visit
    log = _write_log(tmp_path / "cam.sqlite", rows, [(-60, 6000)])
    m = compute(open_for_reading(log), _rules(presence=frozenset({"pir", "cam"})),
                Period(T - 60, T + 6000, "cam"))
    assert m.holding_times == [40.0, 0.0] and (m.visits, m.passers_by, m.stopped) == (3, 2, 1)


def test_a_longer_gap_joins_visits_and_the_schedule_gives_the_opening_hours(day_log: Path) -> None:
    schedule = parse_schedule({"hours": "10:00-12:00"}, lambda *a: pytest.fail(str(a)))
    m = compute(open_for_reading(day_log), _rules(session_gap=150.0, schedule=schedule),
                Period(T - 3600, T + 14400, "day"))
    # A..E are now one visit from 0 to 400 s (gaps 88, 100, 98.5, 98); F stays alone.
    assert (m.visits, m.passers_by, m.stopped, m.holding_times) == (2, 2, 1, [400.0])
    assert m.open_hours == 2.0


def test_a_period_cuts_the_log(day_log: Path) -> None:
    m = compute(open_for_reading(day_log), _rules(), Period(T + 250, T + 450, "cut"))
    assert (m.events, m.visits, m.passers_by, m.holding_times) == (3, 2, 1, [2.0, 0.0])
    assert m.nodes["main"].up == 200.0


def test_rules_come_from_evaluation_or_from_the_installation(tmp_path: Path) -> None:
    from museokit.core.config import load_installation
    from tests.conftest import device, write_installation

    hello = from_installation(load_installation(HELLO))
    assert (hello.presence, hello.interactions, hello.session_gap) == ({"entrance"}, {"door"}, 20.0)
    portrait = from_installation(load_installation(PORTRAIT))
    assert portrait.content == {"screen"} and portrait.presence == {"pir"}
    assert "media/la fenêtre.png" in portrait.attract_media
    plinth = from_installation(load_installation(REPO / "installations" / "object-plinth"))
    assert plinth.primary["plinth"] == "released" and not plinth.presence
    # Without [evaluation]: PIRs see people, buttons are played with, screens and sounds are
    # content, and a visit ends after the second state's idle.
    folder = write_installation(tmp_path / "piece", device("pir", "motion", "pin = 4") +
                                device("knob", "analog", "pin = 0\nboard = \"mcp3008\"") +
                                device("door", "button", "pin = 17") + device("screen", "screen") +
                                '[[states]]\nname = "a"\n[[states]]\nname = "b"\nidle = 12\n')
    rules = from_installation(load_installation(folder))
    assert (rules.presence, rules.interactions, rules.content, rules.session_gap) == (
        {"pir"}, {"knob", "door"}, {"screen"}, 12.0)
    assert rules.primary == {"pir": "motion", "knob": "above", "door": "pressed"}


@pytest.mark.parametrize(("toml", "message"), [
    ('[evaluation]\npresense = ["door"]', "unknown key 'presense' in [evaluation]"),
    ('[evaluation]\ninteractions = ["dor"]', "unknown device 'dor'"),
    ('[evaluation]\ninteractions = ["door.pressd"]', "door has no event 'pressd'"),
    ('[evaluation]\nstop_seconds = -1', "expected a number of seconds above 0"),
    ('[log]\nkeep_days = "forever"', "expected a number of days above 0"),
    ('[log]\nenabled = "yes"', "expected true or false"),
])
def test_bad_log_and_evaluation_tables_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    from museokit.core.config import InstallationError, load_installation
    from tests.conftest import ONE_BUTTON, write_installation

    folder = write_installation(tmp_path / "piece", ONE_BUTTON + "\n" + toml + "\n")
    with pytest.raises(InstallationError) as caught:
        load_installation(folder)
    [issue] = caught.value.issues
    assert message in str(issue) and issue.line is not None


# -- the command -----------------------------------------------------------------------------
def _report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["report", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_report_writes_csv_and_json_of_every_metric(day_log: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    status, _out, err = _report(capsys, str(day_log), "--out", str(tmp_path / "m.json"),
                               "--out", str(tmp_path / "m.csv"))
    assert status == 0, err
    data = json.loads((tmp_path / "m.json").read_text())["periods"][0]
    # Rules guessed from a bare log: pir (motion) sees people, door (pressed) is played with,
    # and the PIR's retrigger is the default 5 s: only A (0..10 s, a press) and E stop.
    assert data["passers_by"] == 5 and data["stopped"] == 1 and data["sessions"] == 2
    rows = list(csv.DictReader(io.StringIO((tmp_path / "m.csv").read_text())))
    assert {"period", "metric", "key", "value"} == set(rows[0])
    assert any(r["metric"] == "attraction_power" and r["value"] == "0.2" for r in rows)
    assert any(r["metric"] == "content" and r["key"] == "a.mp4.holding_power" and
               r["value"] == "0.75" for r in rows)


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13-01"], "--from '2026-13-01': not a date — write YYYY-MM-DD"),
    (["--to", "yesterday"], "--to 'yesterday': not a date"),
    (["--from", "2026-01-07", "--to", "2026-01-06"], "is not after the start"),
    (["--from", "2025-03-01", "--to", "2025-03-02"], "no events from 2025-03-01 → 2025-03-02"),
    (["--compare", "2026-01-05"], "--compare '2026-01-05': write FROM..TO"),
    (["--compare", "2025-01-01..2025-01-07"], "--compare 2025-01-01..2025-01-07: no events in that"),
    (["--compare", "2026-02-30..2026-03-01"], "--from '2026-02-30': not a date"),
])
def test_bad_ranges_are_one_line_each(day_log: Path, tmp_path: Path, args: list[str], message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "r.json"
    status, _, err = _report(capsys, str(day_log), *args, "--out", str(out_file))
    assert status != 0
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert not out_file.exists()


def test_empty_log_and_bad_files_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.sqlite"
    InteractionLog(empty).close()
    for path, message in ((empty, "the interaction log is empty"),
                          (tmp_path / "none.sqlite", "no such interaction log")):
        status, _, err = _report(capsys, str(path), "--out", str(tmp_path / "r.html"))
        assert status == 1 and len(err.strip().splitlines()) == 1 and message in err, err
    status, _, err = _report(capsys, str(empty), "--out", str(tmp_path / "r.docx"))
    assert status == 2 and "unknown format '.docx'" in err


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated week of hello-button, logged by `museokit sim --visitors --days 7 --log`."""
    log = tmp_path_factory.mktemp("week") / "week.sqlite"
    assert main(["sim", str(HELLO), "--visitors", "60", "--hours", "8", "--days", "7",
                 "--log", str(log)]) == 0
    return log


@pytest.mark.chromium
def test_a_simulated_week_reports_in_html_in_real_chromium(week: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian's chromium (dev.sh installs it)")
    from tests.logkit.browser import Chromium

    page = tmp_path / "week.html"
    status, _out, err = _report(capsys, str(HELLO), "--log", str(week), "--compare",
                               "2026-01-10..2026-01-11", "--to", "2026-01-09", "--lang", "en",
                               "--out", str(page))
    assert status == 0, err
    text = page.read_text()
    # Self-contained: nothing to fetch, nothing to run.
    assert re.findall(r'(?:src|href)="(?!#|data:)', text) == [] and "<script" not in text
    assert "@import" not in text and re.findall(r"url\((?!#)", text) == []
    with Chromium() as browser:
        browser.open(page)
        plots = browser.run("""return [...document.querySelectorAll('figure.plot')].map(f => {
            const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
            return [f.dataset.plot, box ? box.width * box.height : 0,
                    svg ? svg.querySelectorAll('path, use').length : 0]; })""")
        title = browser.run("return document.querySelector('h1').textContent")
        console = browser.console()
    assert console == []
    assert [p[0] for p in plots] == list(PLOTS)
    assert all(area > 10_000 and shapes > 20 for _, area, shapes in plots), plots
    assert title == "Evaluation — Hello button"
    assert "Attraction power" in text and "2026-01-05 → 2026-01-09" in text


@pytest.mark.subprocess
def test_the_pdf_renders_to_non_blank_pages(week: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs poppler-utils (dev.sh installs it)")
    np = pytest.importorskip("numpy")
    cv2 = pytest.importorskip("cv2")
    pdf = tmp_path / "week.pdf"
    status, _, err = _report(capsys, str(HELLO), "--log", str(week), "--out", str(pdf))
    assert status == 0, err
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 1 + len(PLOTS)
    for page in pages:
        image = cv2.imread(str(page), cv2.IMREAD_GRAYSCALE)
        assert image is not None and np.count_nonzero(image < 200) > 500, f"{page.name} is blank"


def test_a_simulated_week_of_the_talking_portrait_has_content_metrics(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "portrait.sqlite"
    assert main(["sim", str(PORTRAIT), "--visitors", "40", "--hours", "8", "--days", "7",
                 "--log", str(log)]) == 0
    capsys.readouterr()
    status, _, err = _report(capsys, str(PORTRAIT), "--log", str(log), "--lang", "fr",
                             "--out", str(tmp_path / "p.json"), "--out", str(tmp_path / "p.html"))
    assert status == 0, err
    data = json.loads((tmp_path / "p.json").read_text())["periods"][0]
    video = data["content"]["media/portrait.mp4"]
    assert video["plays"] > 0 and video["completed"] > 0 and 0 < video["holding_power"] <= 1
    assert len(data["sessions_by_day"]) == 7 and data["attraction_power"] is not None
    assert "Pouvoir de rétention par média" in (tmp_path / "p.html").read_text()
