"""The dashboard reads the interaction log (museokit.ops.interactions, a real SQLite file):
today's interactions against the usual weekday, the CSV and the evaluation report downloads."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from museokit.core.config import load_installation
from museokit.core.runtime import Runtime
from museokit.dashboard.attach import serve
from museokit.dashboard.interactions import today_vs_usual
from museokit.ops.interactions import InteractionLog, count_events, start_log
from tests.conftest import write_installation
from tests.dash_fixtures import PIECE, Client
from tests.net_fixtures import free_port, wait_for


@pytest.mark.subprocess
def test_overview_csv_and_report_come_from_the_log(tmp_path: Path) -> None:
    folder = write_installation(tmp_path / "piece", PIECE.format(port=free_port()))
    state = tmp_path / "state"
    runtime = Runtime(load_installation(folder))
    log = start_log(runtime, state_dir=state)
    assert log is not None
    runtime.start()
    served = serve(runtime, state)
    assert served is not None
    runtime.start_in_thread()
    try:
        password = served.dashboard.accounts.add("tech", "technician")
        path = state / "interactions.sqlite"
        for n in range(1, 4):  # three visitors, one after the other
            runtime.simulate("door", "press")
            wait_for(lambda n=n: path.exists() and count_events(path, devices=["door"],
                                                                names=["pressed"]) == n,
                     what="the press in the log")
            runtime.simulate("door", "release")
            wait_for(lambda n=n: count_events(path, devices=["door"]) >= 2 * n,
                     what="the release in the log")
        client = Client(int(served.dashboard.address.rsplit(":", 1)[1]))
        assert client.login("tech", password) == 303
        assert ">6 (usual / habituel: —)<" in client.get("/")[2]
        status, headers, text = client.get("/download/interactions.csv")
        assert status == 200 and headers["content-type"].startswith("text/csv")
        assert text.splitlines()[0] == "time_utc,ts,node,device,name,value"
        assert sum(",main,door,pressed," in line for line in text.splitlines()) == 3
        status, headers, html = client.get("/download/report.html")
        assert status == 200, html
        assert "attachment" in headers["content-disposition"] and "<html" in html.lower()
    finally:
        served.close()
        runtime.stop()
        runtime.join(10)
        runtime.close()
        log.close()


def test_the_usual_is_the_same_weekday_in_the_last_four_weeks(tmp_path: Path) -> None:
    path = tmp_path / "interactions.sqlite"
    log = InteractionLog(path, node="main", installation="piece")
    now = datetime(2026, 3, 18, 15, 0).timestamp()   # a Wednesday, 15:00
    from museokit.core.events import Event

    def visits(day: datetime, n: int) -> None:
        for i in range(n):
            log.record(Event("door", "pressed", None, day.timestamp() + i, i, "main"))

    wednesday = datetime(2026, 3, 18, 10, 0)
    visits(wednesday, 12)
    visits(wednesday - timedelta(weeks=1), 20)
    visits(wednesday - timedelta(weeks=2), 30)
    visits(wednesday - timedelta(weeks=1) + timedelta(hours=6), 50)  # after 15:00: not yet
    visits(wednesday - timedelta(days=1), 99)                        # a Tuesday: not usual
    log.close()
    assert today_vs_usual(path, ["door"], now) == "12 (usual / habituel: 25)"
    assert today_vs_usual(path, ["lamp"], now) == "0 (usual / habituel: —)"
    assert today_vs_usual(tmp_path / "none.sqlite", ["door"], now) == "—"
