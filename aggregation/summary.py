"""The summary a ministry publishes for each unit kind (DOMAIN.md, FORMATS.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from aggregation.ranking import TIE_TOL

#: The threshold a ministry reports ("units at or above 80%").
GOOD_INDEX = 80.0


@dataclass(frozen=True)
class Fall:
    """A unit whose index fell on the previous year, by ``change`` (< 0) points."""

    unit: str
    change: float


@dataclass(frozen=True)
class KindSummary:
    """Summary of one unit kind; the fields of FORMATS.md ``summary[]``.

    ``previous_mean``/``mean_change`` are ``None`` when no unit of the kind has a
    previous index; ``ministry_index`` is ``None`` when not given.
    """

    kind: str
    n_units: int
    mean: float
    max: float
    max_unit: str
    min: float
    min_unit: str
    gap: float
    previous_mean: float | None
    mean_change: float | None
    n_at_least_80: int
    share_at_least_80: float
    fell: tuple[Fall, ...]
    ministry_index: float | None


def summarise_kind(
    kind: str,
    index: Mapping[str, float],
    previous: Mapping[str, float],
    ministry_index: float | None = None,
) -> KindSummary:
    """Summary statistics of one kind.

    - ``mean`` = arithmetic mean of the units' indices; ``gap = max − min``
      (percentage points); ties for max/min go to the first unit code.
    - ``previous_mean`` = mean of last year's indices of the units that have one;
      ``mean_change = mean − previous_mean`` (the published "mean up x points").
    - ``n_at_least_80`` counts ``index ≥ 80`` (within :data:`TIE_TOL`, so a typed 80.00
      counts); ``share_at_least_80`` is that count in percent of ``n_units``.
    - ``fell``: units with ``index − previous < 0``, largest fall first.

    Parameters
    ----------
    index : unit code → index (%), the units of the kind (at least one).
    previous : unit code → last year's index (%); units of other kinds are ignored.
    """
    if not index:
        raise ValueError(f"unit kind {kind} has no units to summarise")
    units = sorted(index)
    values = np.array([index[u] for u in units])
    hi, lo = int(np.argmax(values)), int(np.argmin(values))
    mean = float(values.mean())
    prev = [previous[u] for u in units if u in previous]
    previous_mean = float(np.mean(prev)) if prev else None
    n_good = int((values >= GOOD_INDEX - TIE_TOL).sum())
    return KindSummary(
        kind=kind,
        n_units=len(units),
        mean=mean,
        max=float(values[hi]),
        max_unit=units[hi],
        min=float(values[lo]),
        min_unit=units[lo],
        gap=float(values[hi] - values[lo]),
        previous_mean=previous_mean,
        mean_change=None if previous_mean is None else mean - previous_mean,
        n_at_least_80=n_good,
        share_at_least_80=100.0 * n_good / len(units),
        fell=_falls(index, previous),
        ministry_index=ministry_index,
    )


def _falls(index: Mapping[str, float], previous: Mapping[str, float]) -> tuple[Fall, ...]:
    falls = [Fall(u, index[u] - previous[u]) for u in index if u in previous]
    falls = [f for f in falls if f.change < -TIE_TOL]
    return tuple(sorted(falls, key=lambda f: (f.change, f.unit)))
