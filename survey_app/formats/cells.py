"""Minimum cell size over the design variables a response copies from its invitation.

A response carries its invitation's unit, group, stratum, PSU and weighting attributes.
Whoever holds the respondent list (or the invitations table) and the responses can join
the two on those columns; a response is hidden among the people of its *cell* (the
invitations with the same values). Every cell that a new list adds people to must hold
at least ``target = min(k, people of the unit × group)`` people: ``k`` in general, and
the whole unit × group where it is smaller than ``k`` (unit and group are what the index
is computed for; they cannot be coarsened, only that limit stated).

Below the target the list is coarsened, in this order, and what was done is returned:

1. strata are never coarsened (they carry the frame's weights): a stratum that splits a
   unit × group into a cell below the target is refused, the cell named;
2. weighting attributes: the new rows of a unit × group × stratum lose all of them where
   they would split it into cells below the target;
3. PSUs: the new rows' PSUs of the stratum are merged, smallest first, into one pooled
   PSU (``*``) until every cell is large enough. Only labels no earlier invitation uses
   are moved: earlier invitations (and the responses that copied them) never change.

Whatever is still below the target is refused with the cells named. Cells holding only
earlier invitations are not checked again: a new list cannot make them smaller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

#: The PSU that the PSUs too small to stand alone are merged into (one per stratum).
POOLED_PSU = "*"

Block = tuple[str, str, str]  # unit, group, stratum
Cell = tuple[str, str, str, str, tuple[tuple[str, str], ...]]  # + psu, attributes


class Row(Protocol):
    unit: str
    group: str
    stratum: str
    psu: str
    attributes: dict[str, str]


def cell_of(row: Row) -> Cell:
    return (row.unit, row.group, row.stratum, row.psu, tuple(sorted(row.attributes.items())))


@dataclass(frozen=True)
class Small:
    """A cell below the target: its values, how many people it holds, and the target."""

    cell: Cell
    people: int
    target: int


@dataclass(frozen=True)
class Protected:
    """The rows as they will be stored, and what was coarsened or is refused."""

    rows: list
    dropped: list[Block]  # blocks whose new rows lost their attributes
    pooled: list[tuple[str, str]]  # (stratum, psu) merged into the pooled PSU
    strata_small: list[Small]  # refused: a stratum splits a unit × group too finely
    small: list[Small]  # refused: still below the target after coarsening


def protect(rows: list, existing: Iterable[Cell], k: int) -> Protected:
    """Coarsen ``rows`` (``RespondentRow``-like, new) so each cell they reach holds at
    least the target, given the cells of the round's earlier invitations."""
    before = Counter(existing)
    groups = Counter((c[0], c[1]) for c in before.elements())
    groups.update((r.unit, r.group) for r in rows)

    def target(unit: str, group: str) -> int:
        return min(k, groups[(unit, group)])

    strata_small = _small_strata(rows, before, target)
    rows, dropped = _drop_attributes(rows, before, target)
    rows, pooled = _pool_psus(rows, before, target)
    small = [] if strata_small else _small_cells(rows, before, target)
    return Protected(rows, dropped, pooled, strata_small, small)


def _counts(rows: list, before: Counter, key) -> Counter:
    counts = Counter()
    for cell, n in before.items():
        counts[key(cell)] += n
    counts.update(key(cell_of(r)) for r in rows)
    return counts


def _small_strata(rows: list, before: Counter, target) -> list[Small]:
    counts = _counts(rows, before, lambda c: c[:3])
    new = {(r.unit, r.group, r.stratum) for r in rows}
    return [
        Small((*b, "", ()), counts[b], target(b[0], b[1]))
        for b in sorted(new)
        if counts[b] < target(b[0], b[1])
    ]


def _drop_attributes(rows: list, before: Counter, target) -> tuple[list, list[Block]]:
    counts = _counts(rows, before, lambda c: (*c[:3], c[4]))
    too_fine = sorted(
        {
            (r.unit, r.group, r.stratum)
            for r in rows
            if r.attributes
            and counts[(r.unit, r.group, r.stratum, cell_of(r)[4])] < target(r.unit, r.group)
        }
    )
    blocks = set(too_fine)
    kept = [
        replace(r, attributes={}) if (r.unit, r.group, r.stratum) in blocks else r for r in rows
    ]
    return kept, too_fine


def _pool_psus(rows: list, before: Counter, target) -> tuple[list, list[tuple[str, str]]]:
    """Merge the new rows' PSUs of a stratum into the pooled one, smallest first."""
    taken = {(c[2], c[3]) for c in before}  # labels earlier invitations use: never moved
    pooled: list[tuple[str, str]] = []
    while True:
        small = _small_cells(rows, before, target)
        movable = Counter(
            (r.stratum, r.psu)
            for r in rows
            if (r.stratum, r.psu) not in taken and r.psu != POOLED_PSU
        )
        strata = {s.cell[2] for s in small}
        candidates = [sp for sp in movable if sp[0] in strata]
        if not small or not candidates:
            return rows, pooled
        # within a stratum with a small cell: first a PSU that holds one, else the smallest
        holding = {(s.cell[2], s.cell[3]) for s in small}
        choice = min(candidates, key=lambda sp: (sp not in holding, movable[sp], sp))
        pooled.append(choice)
        rows = [replace(r, psu=POOLED_PSU) if (r.stratum, r.psu) == choice else r for r in rows]


def _small_cells(rows: list, before: Counter, target) -> list[Small]:
    counts = _counts(rows, before, lambda c: c)
    new = {cell_of(r) for r in rows}
    return [
        Small(c, counts[c], target(c[0], c[1]))
        for c in sorted(new)
        if counts[c] < target(c[0], c[1])
    ]
