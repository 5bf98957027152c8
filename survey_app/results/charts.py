"""Geometry of the server-rendered SVG charts: indices with CI whiskers, rank intervals.

Only layout happens here (figures → coordinates); the template draws the SVG, and the
ranking table next to it carries the same figures for readers who cannot see it. Each
chart is laid out twice: ``WIDE`` (names left of the plot) for desktops and ``NARROW``
(each name above its row, the plot the full width) so that a 360 px phone shows the
labels at 12 px or more without scrolling; the stylesheet shows one of the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from survey_app.i18n import gettext as _
from survey_app.results.presentation import fmt, kind_name
from survey_app.results.tables import KindBlock, UnitLine

MARGIN_TOP = 22
MARGIN_BOTTOM = 44
LABEL_CHARS = 40


@dataclass(frozen=True)
class Frame:
    """Where the parts of a chart go, in SVG units."""

    name: str
    label_width: float  # the names' column, left of the plot (0: names above the rows)
    plot_width: float
    margin_left: float  # before the plot when names are above it
    margin_right: float
    row: float  # height of one unit's row

    @property
    def left(self) -> float:
        return self.label_width or self.margin_left

    @property
    def width(self) -> float:
        return self.left + self.plot_width + self.margin_right

    @property
    def labels_above(self) -> bool:
        return not self.label_width


WIDE = Frame("wide", label_width=300, plot_width=440, margin_left=0, margin_right=24, row=26)
NARROW = Frame("narrow", label_width=0, plot_width=316, margin_left=12, margin_right=12, row=44)


@dataclass(frozen=True)
class Mark:
    """One unit's row: its label, the point and the ends of its interval (x in pixels)."""

    label: str
    title: str
    y: float
    x: float
    x_low: float
    x_high: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the template needs to draw one chart."""

    id: str
    title: str
    desc: str
    axis_label: str
    height: float
    marks: list[Mark]
    ticks: list[Tick]
    frame: Frame
    reference: Tick | None = None

    @property
    def width(self) -> float:
        return self.frame.width

    @property
    def left(self) -> float:
        return self.frame.left

    @property
    def right(self) -> float:
        return self.frame.left + self.frame.plot_width

    @property
    def bottom(self) -> float:
        return MARGIN_TOP + len(self.marks) * self.frame.row


def _scale(lo: float, hi: float, frame: Frame):
    return lambda v: frame.left + (v - lo) / (hi - lo) * frame.plot_width


def _label(line: UnitLine, lang: str) -> str:
    name = line.unit.name(lang)
    text = f"{line.data['rank']}. {name}"
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _y(i: int, frame: Frame) -> float:
    """The row's line; with names above the rows, in its lower part."""
    return MARGIN_TOP + i * frame.row + (frame.row * 0.7 if frame.labels_above else frame.row / 2)


def _index_bounds(lines: list[UnitLine]) -> tuple[float, float, float]:
    low = min(line.data["index_ci_low"] for line in lines)
    high = max(line.data["index_ci_high"] for line in lines)
    step = 10.0 if high - low > 40 else 5.0
    lo, hi = max(0.0, math.floor(low / step) * step), min(100.0, math.ceil(high / step) * step)
    return lo, (hi if hi > lo else lo + step), step


def index_chart(block: KindBlock, lang: str, frame: Frame = WIDE) -> Chart:
    """Each unit's index (dot) and 95% CI (whisker), best first."""
    lo, hi, step = _index_bounds(block.lines)
    x = _scale(lo, hi, frame)
    marks = [
        Mark(
            _label(line, lang),
            _("{unit}: index {index}% (95% CI {low} to {high})").format(
                unit=line.unit.name(lang),
                index=fmt(line.data["index"], lang),
                low=fmt(line.data["index_ci_low"], lang),
                high=fmt(line.data["index_ci_high"], lang),
            ),
            _y(i, frame),
            x(line.data["index"]),
            x(line.data["index_ci_low"]),
            x(line.data["index_ci_high"]),
        )
        for i, line in enumerate(block.lines)
    ]
    ticks = [Tick(x(v), fmt(v, lang, 0)) for v in _steps(lo, hi, step)]
    kind = kind_name(block.kind, lang)
    return Chart(
        id=f"chart-index-{block.kind.code}-{frame.name}",
        title=_("Index of the {kind} with confidence intervals (95%)").format(kind=kind),
        desc=_(
            "One row per unit in rank order: the dot is the index, the whisker its confidence "
            "interval (95%); the dashed line marks 80%. The table gives the same figures."
        ),
        axis_label=_("Index (%)"),
        height=MARGIN_TOP + len(marks) * frame.row + MARGIN_BOTTOM,
        marks=marks,
        ticks=ticks,
        frame=frame,
        reference=Tick(x(80.0), "80%") if lo < 80 < hi else None,
    )


def rank_chart(block: KindBlock, lang: str, frame: Frame = WIDE) -> Chart:
    """Each unit's rank (dot) and 95% rank interval (bar); rank 1 on the left."""
    n = len(block.lines)
    x = _scale(0.5, n + 0.5, frame)
    marks = [
        Mark(
            _label(line, lang),
            _("{unit}: rank {rank} (interval {low} to {high} at 95%)").format(
                unit=line.unit.name(lang),
                rank=line.data["rank"],
                low=line.data["rank_low"],
                high=line.data["rank_high"],
            ),
            _y(i, frame),
            x(line.data["rank"]),
            x(line.data["rank_low"]),
            x(line.data["rank_high"]),
        )
        for i, line in enumerate(block.lines)
    ]
    step = 1 if n <= (20 if frame is WIDE else 10) else 5
    ticks = [Tick(x(r), str(r)) for r in range(1, n + 1) if r == 1 or r % step == 0]
    return Chart(
        id=f"chart-rank-{block.kind.code}-{frame.name}",
        title=_("Rank intervals of the {kind}").format(kind=kind_name(block.kind, lang)),
        desc=_(
            "One row per unit: the dot is its rank, the bar the ranks it could hold with "
            "95% probability given the sampling error. The table gives the same figures."
        ),
        axis_label=_("Rank (1 = highest index)"),
        height=MARGIN_TOP + n * frame.row + MARGIN_BOTTOM,
        marks=marks,
        ticks=ticks,
        frame=frame,
    )


def _steps(lo: float, hi: float, step: float) -> list[float]:
    count = int(round((hi - lo) / step))
    return [lo + i * step for i in range(count + 1)]
