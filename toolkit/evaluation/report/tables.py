"""Every metric as JSON (one document) and CSV (`period,metric,key,value` rows)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from museokit.evaluation.metrics import Metrics


def as_dict(m: Metrics) -> dict[str, Any]:
    """Every figure of one period, JSON-ready (times as unix seconds)."""
    return {
        "period": {"label": m.period.label, "start": m.period.start, "end": m.period.end},
        "rules": {"presence": sorted(m.rules.presence), "interactions": sorted(m.rules.interactions),
                  "content": sorted(m.rules.content), "session_gap": m.rules.session_gap,
                  "stop_seconds": m.rules.stop_seconds, "silent_hours": m.rules.silent_hours},
        "events": m.events,
        "visits": m.visits,
        "passers_by": m.passers_by,
        "stopped": m.stopped,
        "attraction_power": m.attraction_power,
        "sessions": m.sessions,
        "open_hours": m.open_hours,
        "sessions_per_open_hour": m.sessions_per_open_hour,
        "holding_time": {"median": m.holding_median, "mean": m.holding_mean,
                         "distribution": m.holding_distribution()},
        "sessions_by_day": m.sessions_by_day(),
        "sessions_by_hour": {str(h): n for h, n in m.sessions_by_hour().items()},
        "heatmap": m.heatmap(),
        "content": {name: {"device": s.device, "plays": s.plays, "completed": s.completed,
                           "interrupted": s.interrupted, "completion_rate": s.completion_rate,
                           "length": s.length, "holding_power": s.holding_power}
                    for name, s in sorted(m.content.items())},
        "interactions": m.interactions(),
        "event_counts": {f"{d}.{n}": c for (d, n), c in sorted(m.counts.items())},
        "uptime": {node: {"up_seconds": up.up, "offline": [list(g) for g in up.offline]}
                   for node, up in sorted(m.nodes.items())},
        "device_offline": {d: [list(p) for p in spans] for d, spans in sorted(m.device_offline.items())},
        "handler_errors": dict(sorted(m.handler_errors.items())),
        "silent": dict(sorted(m.silent.items())),
    }


def to_json(periods: list[Metrics]) -> str:
    return json.dumps({"periods": [as_dict(m) for m in periods]}, indent=1, ensure_ascii=False) + "\n"


def to_csv(periods: list[Metrics]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["period", "metric", "key", "value"])
    for m in periods:
        for metric, value in as_dict(m).items():
            if metric in ("period", "rules"):
                continue
            for key, leaf in _leaves(value):
                writer.writerow([m.period.label, metric, key, "" if leaf is None else leaf])
    return out.getvalue()


def _leaves(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        found = []
        for k, v in value.items():
            found += _leaves(v, f"{prefix}.{k}" if prefix else str(k))
        return found
    if isinstance(value, list) and value and isinstance(value[0], list):
        found = []
        for i, v in enumerate(value):
            found += _leaves(v, f"{prefix}[{i}]")
        return found
    if isinstance(value, list):
        return [(f"{prefix}[{i}]" if prefix else str(i), v) for i, v in enumerate(value)]
    return [(prefix, value)]
