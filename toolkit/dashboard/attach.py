"""Serving the dashboard beside a running installation (`museokit run` on the lead node)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museokit.dashboard.feeds import BusFeed
from museokit.dashboard.server import Dashboard

if TYPE_CHECKING:
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.dashboard")


class Served:
    """The dashboard and its bus feed; `close()` stops both."""

    def __init__(self, dashboard: Dashboard, feed: BusFeed) -> None:
        self.dashboard = dashboard
        self.feed = feed

    def close(self) -> None:
        self.feed.close()
        self.dashboard.stop()


def serve(runtime: Runtime, state_dir: Path, log_file: Path | None = None,
          **options: Any) -> Served | None:
    """Start the dashboard for a started runtime (before its loop runs, or from its loop).

    None, after one log line, if it cannot listen: the installation runs on without it.
    """
    from museokit.dashboard import interactions
    from museokit.ops.health import snapshot
    from museokit.ops.interactions import log_path

    inst = runtime.installation
    settings = inst.staff.dashboard
    dash = Dashboard(state_dir, settings, runtime=runtime, title=inst.name,
                     media_folder=inst.folder, **options)
    inputs = [d.id for d in runtime.devices.values() if d.role == "input"]
    log_file = log_file or log_path(inst, state_dir)
    dash.interactions = lambda: interactions.today_vs_usual(log_file, inputs)
    dash.interactions_csv = lambda: interactions.as_csv(log_file)
    dash.report = lambda: interactions.report_html(inst.folder, log_file)
    dash.health = lambda: (inst.site, inst.node, snapshot(state_dir, runtime.bus.stats.errors))
    if inst.schedule is not None:
        schedule = inst.schedule

        def hours() -> str:
            now = runtime.clock.time()
            nxt = schedule.next_change(now)
            state = "open / ouvert" if schedule.is_open(now) else "closed / fermé"
            return state + (f" → {schedule.local(nxt).strftime('%a %H:%M')}" if nxt else "")
        dash.hours = hours
    feed = BusFeed(runtime, dash.handoff)
    feed.start()
    if not dash.start():
        feed.close()
        dash.stop()
        return None
    return Served(dash, feed)
