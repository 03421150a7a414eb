"""Metrics as plots (matplotlib `Figure`s, no pyplot state) and as tables of text.

Every plot is drawn for every report, with "no data" written in it when the period
has none, so a reader (and the test) always finds the same set. With `--compare`
each plot shows both periods side by side; the attraction and holding power plots
carry Serrell's benchmarks as reference lines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from museokit.evaluation.metrics import Metrics
from museokit.evaluation.report.labels import WEEKDAYS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Serrell's benchmarks: average and exceptional attraction power, exceptional holding power.
SERRELL_ATTRACTION_AVERAGE = 0.32
SERRELL_ATTRACTION_EXCEPTIONAL = 0.60
SERRELL_HOLDING_EXCEPTIONAL = 0.70
COLOURS = ("#1f5f8b", "#e07b39")
PLOTS = ("attraction_power", "holding_distribution", "sessions_by_day", "sessions_by_hour",
         "heatmap", "holding_power", "completion", "interactions", "uptime")


@dataclass
class Plot:
    key: str
    title: str
    figure: Figure


@dataclass
class Table:
    key: str
    title: str
    head: list[str]
    rows: list[list[str]]


def plots(periods: list[Metrics], w: dict[str, str], lang: str) -> list[Plot]:
    # matplotlib's own info lines ("generated new fontManager") are not the report's.
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    from matplotlib.figure import Figure

    out = []
    for key in PLOTS:
        fig = Figure(figsize=(8.0, 3.6 if key != "heatmap" else 2.6 + 1.6 * len(periods)),
                     layout="constrained")
        globals()[f"_{key}"](fig, periods, w, lang)
        out.append(Plot(key, w[key], fig))
    return out


def _labels(periods: list[Metrics]) -> list[str]:
    return [m.period.label for m in periods]


def _empty(ax: Axes, w: dict[str, str]) -> None:
    ax.text(0.5, 0.5, w["no_data"], ha="center", va="center", transform=ax.transAxes,
            color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def _grouped(ax: Axes, names: list[str], series: Sequence[Sequence[float]], labels: list[str],
             horizontal: bool = False) -> None:
    n = len(series)
    width = 0.8 / n
    for i, (values, label) in enumerate(zip(series, labels, strict=True)):
        pos = [x + (i - (n - 1) / 2) * width for x in range(len(names))]
        if horizontal:
            ax.barh(pos, values, height=width, color=COLOURS[i % 2], label=label)
        else:
            ax.bar(pos, values, width=width, color=COLOURS[i % 2], label=label)
    if horizontal:
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
    else:
        step = (len(names) + 13) // 14 if len(names) > 14 else 1  # at most 14 labels
        ax.set_xticks(range(0, len(names), step), names[::step])
        ax.tick_params(axis="x", labelrotation=45 if len(names) > 7 else 0, labelsize="small")
    if n > 1:
        ax.legend(fontsize="small")


def _sessions_by_day(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    ax = fig.add_subplot()
    days = [m.sessions_by_day() for m in periods]
    if not any(sum(d.values()) for d in days):
        _empty(ax, w)
        return
    length = max(len(d) for d in days)
    series = [[*d.values(), *[0] * (length - len(d))] for d in days]
    first = list(days[0])
    if len(periods) == 1:
        names = [_short_day(day, lang) for day in first]
    else:
        names = [f"{w['day']} {i + 1}" for i in range(length)]
    _grouped(ax, names, series, _labels(periods))
    ax.set_ylabel(w["sessions"])


def _short_day(day: str, lang: str) -> str:
    moment = datetime.fromisoformat(day)
    return f"{WEEKDAYS[lang][moment.weekday()]} {moment.day}/{moment.month}"


def _sessions_by_hour(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    ax = fig.add_subplot()
    hours = [m.sessions_by_hour() for m in periods]
    if not any(sum(h.values()) for h in hours):
        _empty(ax, w)
        return
    used = [h for h in range(24) if any(x[h] for x in hours)]
    span = list(range(min(used), max(used) + 1))
    _grouped(ax, [f"{h}h" for h in span], [[x[h] for h in span] for x in hours], _labels(periods))
    ax.set_ylabel(w["sessions"])
    per_hour = [m.sessions_per_open_hour for m in periods]
    text = " · ".join(f"{label}: {v:.2f}" for label, v in zip(_labels(periods), per_hour, strict=True)
                      if v is not None)
    if text:
        ax.set_title(f"{w['sessions_per_open_hour']} — {text}", fontsize="small")


def _heatmap(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    axes = fig.subplots(len(periods), 1, squeeze=False)[:, 0]
    grids = [m.heatmap() for m in periods]
    top = max(max(max(row) for row in g) for g in grids)
    if top == 0:
        _empty(axes[0], w)
        for ax in axes[1:]:
            ax.set_visible(False)
        return
    image = None
    used = [h for h in range(24) if any(g[d][h] for g in grids for d in range(7))]
    first, last = min(used), max(used)  # the hours anyone came: opening hours, in effect
    for ax, grid, label in zip(axes, grids, _labels(periods), strict=True):
        image = ax.imshow([row[first:last + 1] for row in grid], aspect="auto", cmap="Blues",
                          vmin=0, vmax=top, extent=(first - 0.5, last + 0.5, 6.5, -0.5))
        ax.set_yticks(range(7), WEEKDAYS[lang])
        ax.set_xticks(range(first, last + 1), [f"{h}h" for h in range(first, last + 1)],
                      fontsize="small")
        if len(periods) > 1:
            ax.set_title(label, fontsize="small")
    assert image is not None
    fig.colorbar(image, ax=list(axes), label=w["sessions"])


def _holding_distribution(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    ax = fig.add_subplot()
    dists = [m.holding_distribution() for m in periods]
    if not any(m.holding_times for m in periods):
        _empty(ax, w)
        return
    labels = [f"{m.period.label} ({w['median']} {m.holding_median:.0f} s)" if m.holding_median
              is not None else m.period.label for m in periods]
    _grouped(ax, list(dists[0]), [[v / max(1, sum(d.values())) for v in d.values()] for d in dists],
             labels)
    ax.set_ylabel(w["share"])
    ax.yaxis.set_major_formatter(_percent())
    ax.tick_params(axis="x", labelsize="small")
    if len(periods) == 1:
        ax.legend(fontsize="small")


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def _attraction_power(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    ax = fig.add_subplot()
    values = [m.attraction_power for m in periods]
    if all(v is None for v in values):
        _empty(ax, w)
        return
    ax.bar(range(len(periods)), [v or 0.0 for v in values], color=COLOURS[:len(periods)],
           width=0.5)
    ax.set_xticks(range(len(periods)), _labels(periods))
    ax.set_xlim(-1, len(periods))
    ax.axhline(SERRELL_ATTRACTION_AVERAGE, color="#777777", linestyle="--",
               label=w["serrell_average"])
    ax.axhline(SERRELL_ATTRACTION_EXCEPTIONAL, color="#2a9d4b", linestyle="--",
               label=w["serrell_exceptional"])
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(_percent())
    ax.legend(fontsize="small", loc="upper right")


def _content_names(periods: list[Metrics], with_length: bool) -> list[str]:
    names: set[str] = set()
    for m in periods:
        names.update(n for n, s in m.content.items() if not with_length or s.holding_power is not None)
    return sorted(names)


def _holding_power(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    ax = _per_content(fig, periods, w, "holding_power")
    if ax is not None:
        ax.axvline(SERRELL_HOLDING_EXCEPTIONAL, color="#2a9d4b", linestyle="--",
                   label=w["serrell_holding"])
        ax.legend(fontsize="small", loc="lower right")


def _completion(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    ax = _per_content(fig, periods, w, "completion_rate")
    if ax is not None:
        ax.xaxis.set_major_formatter(_percent())


def _per_content(fig: Figure, periods: list[Metrics], w: dict[str, str], figure: str) -> Axes | None:
    """Horizontal bars of a 0..1 figure of each content (None, after "no data", if none)."""
    ax = fig.add_subplot()
    names = _content_names(periods, with_length=figure == "holding_power")
    if not names:
        _empty(ax, w)
        return None
    series = [[(getattr(m.content[n], figure) or 0.0) if n in m.content else 0.0 for n in names]
              for m in periods]
    _grouped(ax, [_short(n) for n in names], series, _labels(periods), horizontal=True)
    ax.set_xlim(0, 1)
    return ax


def _short(name: str, size: int = 32) -> str:
    name = name.rsplit("/", 1)[-1]
    return name if len(name) <= size else name[:size - 1] + "…"


def _interactions(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    ax = fig.add_subplot()
    per = [m.interactions() for m in periods]
    names = sorted({d for p in per for d in p})
    if not names or not any(sum(p.values()) for p in per):
        _empty(ax, w)
        return
    primary = periods[0].rules.primary
    _grouped(ax, [f"{n}.{primary.get(n, '')}" for n in names], [[p.get(n, 0) for n in names]
                                                                for p in per], _labels(periods))
    ax.set_ylabel(w["count"])


def _uptime(fig: Figure, periods: list[Metrics], w: dict[str, str], lang: str) -> None:
    axes = fig.subplots(len(periods), 1, squeeze=False)[:, 0]
    if not any(m.nodes or m.device_offline for m in periods):
        _empty(axes[0], w)
        for ax in axes[1:]:
            ax.set_visible(False)
        return
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

    def epoch2num(ts: float) -> float:
        return float(date2num(datetime.fromtimestamp(ts)))  # type: ignore[no-untyped-call]

    for ax, m in zip(axes, periods, strict=True):
        rows: list[tuple[str, list[tuple[float, float]], str]] = []
        for node, up in sorted(m.nodes.items()):
            spans = _between_gaps(m, up.offline)
            rows.append((f"{w['node']} {node}", spans, COLOURS[0]))
        for device, periods_off in sorted(m.device_offline.items()):
            rows.append((device, [(a, b) for a, b, _ in periods_off], "#c0392b"))
        for i, (_label, spans, colour) in enumerate(rows):
            ax.broken_barh([(epoch2num(a), epoch2num(b) - epoch2num(a)) for a, b in spans],
                           (i - 0.35, 0.7), color=colour)
        ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize="small")
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(epoch2num(m.period.start), epoch2num(m.period.end))
        locator = AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        if len(periods) > 1:
            ax.set_title(m.period.label, fontsize="small")


def _between_gaps(m: Metrics, gaps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The node's running spans: the period's first run to its last, minus the gaps."""
    spans: list[tuple[float, float]] = []
    start = m.period.start
    for a, b in gaps:
        spans.append((start, a))
        start = b
    spans.append((start, m.period.end))
    return [(a, b) for a, b in spans if b > a]


# -- tables ---------------------------------------------------------------------------------
def _num(value: float | None, digits: int = 2, unit: str = "") -> str:
    return "–" if value is None else f"{value:,.{digits}f}{unit}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _when(ts: float | None, w: dict[str, str]) -> str:
    return w["never"] if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


_NUMBER = re.compile(r"^[\d,]+(\.\d+)?( ?(s|h|%))?$")


def _localised(table: Table, w: dict[str, str]) -> Table:
    """Numbers written the reader's way: 5 127,5 in French, 5,127.5 in English."""
    swap = {",": w["thousands"], ".": w["decimal"]}

    def cell(text: str) -> str:
        return "".join(swap.get(c, c) for c in text) if _NUMBER.match(text) else text

    return Table(table.key, table.title, table.head, [[cell(c) for c in row] for row in table.rows])


def tables(periods: list[Metrics], w: dict[str, str]) -> list[Table]:
    return [_localised(t, w) for t in _tables(periods, w)]


def _tables(periods: list[Metrics], w: dict[str, str]) -> list[Table]:
    head = ["", *_labels(periods)]
    rows = [
        [w["events"], *(f"{m.events:,}" for m in periods)],
        [w["visits"], *(f"{m.visits:,}" for m in periods)],
        [w["passers_by"], *("–" if m.passers_by is None else f"{m.passers_by:,}" for m in periods)],
        [w["stopped"], *(f"{m.stopped:,}" for m in periods)],
        [w["attraction_power"], *(_pct(m.attraction_power) for m in periods)],
        [w["sessions"], *(f"{m.sessions:,}" for m in periods)],
        [w["open_hours"], *(_num(m.open_hours, 1, " h") for m in periods)],
        [w["sessions_per_open_hour"], *(_num(m.sessions_per_open_hour) for m in periods)],
        [w["holding_median"], *(_num(m.holding_median, 1, " s") for m in periods)],
        [w["holding_mean"], *(_num(m.holding_mean, 1, " s") for m in periods)],
        [w["handler_errors"], *(str(sum(m.handler_errors.values())) for m in periods)],
    ]
    out = [Table("summary", w["summary"], head, rows)]
    content_rows = []
    for m in periods:
        for name, s in sorted(m.content.items()):
            content_rows.append([m.period.label, name, str(s.plays), str(s.completed),
                                 str(s.interrupted), _pct(s.completion_rate),
                                 _num(s.length, 1, " s"), _num(s.holding_power)])
    out.append(Table("content", w["completion"], [w["period"], w["content"], w["plays"],
                                                  w["completed"], w["interrupted"],
                                                  w["completion"], w["length"],
                                                  w["holding_power"]], content_rows))
    up_rows = []
    for m in periods:
        for node, up in sorted(m.nodes.items()):
            offline = "; ".join(f"{_when(a, w)} → {_when(b, w)}" for a, b in up.offline[:10])
            up_rows.append([m.period.label, node, _num(up.up / 3600, 1, " h"),
                            _pct(up.up / m.period.seconds if m.period.seconds else None),
                            offline or w["none"]])
    out.append(Table("uptime", w["uptime"], [w["period"], w["node"], w["up"], "%",
                                             w["device_offline"]], up_rows))
    off_rows = [[m.period.label, device, _when(a, w), _when(b, w), reason]
                for m in periods for device, spans in sorted(m.device_offline.items())
                for a, b, reason in spans]
    out.append(Table("device_offline", w["device_offline"],
                     [w["period"], w["device"], w["from"], w["to"], w["reason"]], off_rows))
    silent_rows = [[m.period.label, device, _when(last, w)] for m in periods
                   for device, last in sorted(m.silent.items())]
    out.append(Table("silent", w["silent"], [w["period"], w["device"], w["last_event"]],
                     silent_rows))
    error_rows = [[m.period.label, handler, str(n)] for m in periods
                  for handler, n in sorted(m.handler_errors.items(), key=lambda x: -x[1])]
    out.append(Table("errors", w["errors_table"], [w["period"], w["handler"], w["count"]],
                     error_rows))
    return out
