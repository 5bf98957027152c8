"""Loading a round from the database into the pure inputs of ``aggregation``.

Responses are read with plain SQL into arrays (not one ORM object per response), in
chunks, so a national round does not need a big box.
"""

from __future__ import annotations

import io
import queue
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv
from sqlalchemy import func, select, text

from aggregation import inputs as agg
from aggregation.raking import rake_table
from survey_app.assessments.models import BonusPenalty as BonusPenaltyRow
from survey_app.assessments.models import SelfAssessment
from survey_app.criteria.models import CriteriaSet as CriteriaSetRow
from survey_app.extensions import db
from survey_app.responses.models import Response
from survey_app.rounds.attributes import RakingSource, raking_sources
from survey_app.rounds.models import Round
from survey_app.units.models import PreviousResult, Unit

#: Responses per chunk read from the database.
CHUNK_SIZE = 100_000

#: The design columns of a chunk, before one column per item.
DESIGN = ("response_id", "unit", "group", "stratum", "psu")
#: Prefix of a chunk's column holding a raking variable's level.
RAKE = "rake:"

#: Response ids are 32 hex digits drawn at random (``responses.models.new_response_id``).
_ID_BITS, _ID_DIGITS = 128, 32


def criteria_set(row: CriteriaSetRow) -> agg.CriteriaSet:
    areas = tuple(
        agg.Area(
            a.code,
            tuple(
                agg.Criterion(
                    c.code,
                    tuple(
                        agg.Subcriterion(s.code, s.source, s.max_points, tuple(s.item_codes))
                        for s in c.subcriteria
                    ),
                )
                for c in a.criteria
            ),
        )
        for a in row.areas
    )
    return agg.CriteriaSet(
        code=row.code,
        unit_kind=row.unit_kind.code,
        min_group_respondents=row.min_group_respondents,
        group_weights={g.group_code: g.weight for g in row.group_weights},
        areas=areas,
        bonus_cap=row.bonus_cap,
        penalty_cap=row.penalty_cap,
    )


def item_scales(rnd: Round) -> dict[str, agg.Scale]:
    return {
        item.code: agg.Scale(
            {lv.value: (None if lv.is_missing else lv.score) for lv in item.scale.levels}
        )
        for item in rnd.questionnaire.items()
        if item.is_scored  # categorical, text, numbers, dates: stored, never aggregated
    }


def id_bounds(n: int, chunk_size: int = CHUNK_SIZE) -> list[str]:
    """The first id of each chunk of ``n`` responses: the id space cut into
    ``ceil(n / chunk_size)`` equal ranges, the first starting below every id and the last
    open-ended.

    Ranges always cover every response exactly once, whatever the ids. Because ids are
    random, each range holds about ``chunk_size`` responses (binomially: ± 0.3% for 100,000)
    and a range may even be empty in a tiny round with tiny chunks, which the map handles.
    Counting is an index-only scan; finding exact ``chunk_size`` boundaries meant sorting
    every id of the round (a second for a million responses).
    """
    if not n:
        return []
    k = -(-n // chunk_size)
    return ["", *(format((i << _ID_BITS) // k, f"0{_ID_DIGITS}x") for i in range(1, k))]


#: Sampled rows of the round per chunk when placing chunk bounds by physical position.
_SAMPLE_PER_CHUNK = 1000


def plan_bounds(round_id: int, n: int, chunk_size: int = CHUNK_SIZE) -> list[str]:
    """The chunks of a run over the round's ``n`` responses (the plan's count): on
    PostgreSQL by physical position (:func:`block_bounds`) when the round needs more than
    one chunk, else by id range (:func:`id_bounds`)."""
    if n and n > chunk_size and db.engine.dialect.name == "postgresql":
        return block_bounds(round_id, -(-n // chunk_size), n)
    return id_bounds(n, chunk_size)


def block_bounds(round_id: int, k: int, n: int) -> list[str]:
    """PostgreSQL: the first tuple id ``(block,offset)`` of each of ``k`` chunks by physical
    position, the first from ``(0,0)`` and the last open-ended, so they cover every row of
    the table exactly once.

    Ids are random, so an id range holds rows on most of the table's pages and each chunk
    of a run cut by id read nearly the whole table; a block range is read once, in order
    (a TID range scan). The cuts are quantiles of the blocks holding the round's rows in a
    sample of the table's pages (``TABLESAMPLE SYSTEM``, repeatable; every page for a small
    round), so chunks hold about as many of the round's responses each even when other
    rounds share the table.

    A row moved while the run reads (an UPDATE writes a new version of it, maybe into a
    chunk already read or not yet read) is missed or read twice: the reduce finds the
    counts per stratum differ from the plan and fails the run ("run again").
    """
    percent = min(100.0, 100.0 * _SAMPLE_PER_CHUNK * k / n)
    tids = db.session.scalars(
        text(
            "SELECT ctid::text FROM responses "
            "TABLESAMPLE SYSTEM (:percent) REPEATABLE (0) WHERE round_id = :round_id"
        ),
        {"percent": percent, "round_id": round_id},
    ).all()
    # (block, offset) as one integer: offsets are below 2**16
    at = np.sort(np.array([_tid_key(t) for t in tids], dtype=np.int64))
    if len(at) < k:  # a sample too small to place the cuts: even cuts of the table
        size = db.session.scalar(
            text("SELECT pg_relation_size('responses') / current_setting('block_size')::int")
        )
        at = np.arange(max(int(size), 1), dtype=np.int64) << 16
    cuts = sorted({int(at[len(at) * i // k]) for i in range(1, k)} - {0})
    return ["(0,0)", *(f"({c >> 16},{c & 0xFFFF})" for c in cuts)]


def _tid_key(tid: str) -> int:
    block, offset = tid.strip("()").split(",")
    return (int(block) << 16) | int(offset)


def is_block_bound(bound: str | None) -> bool:
    """A chunk bound by physical position (a tuple id), not a response id (hex)."""
    return bound is not None and bound.startswith("(")


def read_chunk(
    round_id: int,
    first_id: str,
    next_id: str | None,
    items: tuple[str, ...],
    raking: tuple[RakingSource, ...] = (),
    exclude_bursts: bool = False,
) -> pa.Table:
    """Responses with ``first_id <= id < next_id`` (or, with bounds from
    :func:`block_bounds`, ``first_id <= ctid < next_id``) as an Arrow table, in id order:
    the design columns
    (strings), one float column per item (null: not answered), and with ``raking`` a
    column ``rake:VARIABLE`` per source with each response's level (null when it has none).
    With ``exclude_bursts``, responses marked as from a burst on an open link are left out.
    No ORM object and, on PostgreSQL, no Python object per response.
    """
    if db.engine.dialect.name == "postgresql":
        with streamed_chunk(round_id, first_id, next_id, items, raking, exclude_bursts) as batches:
            return in_id_order(pa.concat_tables(list(batches)))
    if is_block_bound(first_id):
        raise ValueError("chunks by physical position are PostgreSQL's only")
    stmt = (
        select(
            Response.id,
            Unit.code,
            Response.group_code,
            Response.stratum,
            Response.psu,
            Response.answers,
            Response.attributes,
        )
        .join(Unit, Unit.id == Response.unit_id)
        .where(Response.round_id == round_id, Response.id >= first_id)
        .order_by(Response.id)
    )
    if next_id is not None:
        stmt = stmt.where(Response.id < next_id)
    if exclude_bursts:
        stmt = stmt.where(~Response.is_burst)
    rows = db.session.execute(stmt).all()
    columns = [[row[k] for row in rows] for k in range(len(DESIGN))]
    columns += [[row[5].get(item) for row in rows] for item in items]
    columns += [[source.level(row[5], row[6]) for row in rows] for source in raking]
    return pa.table(columns, schema=_schema(items, raking))


def _schema(items: tuple[str, ...], raking: tuple[RakingSource, ...]) -> pa.Schema:
    return pa.schema(
        [(n, pa.string()) for n in DESIGN]
        + [(n, pa.float64()) for n in items]
        + [(RAKE + s.variable, pa.string()) for s in raking]
    )


def in_id_order(table: pa.Table) -> pa.Table:
    """The rows of a chunk sorted by response id."""
    # ids are ASCII hex: Arrow's byte order is the column's "C" collation order
    return table.take(pc.sort_indices(table.column("response_id")))


#: CSV bytes per batch of :func:`streamed_chunk` (about 20,000 responses of 12 items).
BATCH_BYTES = 1 << 21


@contextmanager
def streamed_chunk(
    round_id: int,
    first_id: str,
    next_id: str | None,
    items: tuple[str, ...],
    raking: tuple[RakingSource, ...] = (),
    exclude_bursts: bool = False,
) -> Iterator[Iterator[pa.Table]]:
    """The rows of :func:`read_chunk` as batches of the same columns, in no set order,
    handed out as the database sends them, so that the caller works on one batch while
    the server produces the next. Until the block ends the session must not be used.

    PostgreSQL: the server reads each answer out of the row's JSONB (``->>``) and
    streams CSV (``COPY``), which a reader thread of this process drains while pyarrow
    parses it batch by batch (at most the chunk's CSV is held, as a single read did).
    Elsewhere: one batch, :func:`read_chunk`.

    Chunks by physical position are read by a TID range scan, each page once. Ids are
    random, so the rows of an id range lie on most of the table's pages. Walking
    the primary key in id order fetched them page by page at random (every page many
    times per chunk once the table outgrows the server's buffers); without ``ORDER BY``
    the server takes a bitmap scan that reads each page once, in physical order. The
    pipeline digests and maps the batches in that order (no sort: while the rows stay
    where they are, it is the same order each time).
    """
    if db.engine.dialect.name != "postgresql":
        yield iter([read_chunk(round_id, first_id, next_id, items, raking, exclude_bursts)])
        return
    columns = ["r.id", "u.code", "r.group_code", "r.stratum", "r.psu"]
    columns += ["r.answers ->> %s"] * len(items)
    columns += [f"r.{'answers' if s.item else 'attributes'} ->> %s" for s in raking]
    key, cast = ("r.ctid", "::tid") if is_block_bound(first_id) else ("r.id", "")
    upper = f"AND {key} < %s{cast}" if next_id else ""
    bursts = "AND NOT r.is_burst" if exclude_bursts else ""
    sql = (
        f"COPY (SELECT {', '.join(columns)} "
        "FROM responses r JOIN units u ON u.id = r.unit_id "
        f"WHERE r.round_id = %s AND {key} >= %s{cast} {upper} {bursts}"
        ") TO STDOUT WITH (FORMAT csv)"
    )
    extra = [s.item or s.variable for s in raking]
    params = [*items, *extra, round_id, first_id, *([next_id] if next_id else [])]
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SET LOCAL jit = off")  # compiling each chunk's query costs more than it saves
    reader = _CopyReader(raw, sql, params)
    try:
        yield (_with_levels(t, raking) for t in reader.tables(_schema(items, raking)))
    finally:
        reader.close()  # waits for the whole COPY: the connection is the session's


class _CopyReader(io.RawIOBase):
    """A ``COPY ... TO STDOUT`` drained by a thread, read as a file (by pyarrow).

    The thread only moves the server's blocks into a queue; waiting on the socket
    releases the GIL, so the server goes on producing rows while the caller computes.
    """

    _END = object()
    #: Bytes moved to the queue at a time.
    PIECE = 1 << 16

    def __init__(self, conn, sql: str, params: list) -> None:
        super().__init__()
        self.error: BaseException | None = None
        self._blocks: queue.SimpleQueue = queue.SimpleQueue()
        self._rest = memoryview(b"")
        self._done = False
        self._thread = threading.Thread(
            target=self._drain, args=(conn, sql, params), name="copy-reader", daemon=True
        )
        self._thread.start()

    def _drain(self, conn, sql: str, params: list) -> None:
        piece = bytearray()
        try:
            with conn.cursor() as cur, cur.copy(sql, params) as copy:
                for row in copy:  # psycopg hands out a row at a time
                    piece += row
                    if len(piece) >= self.PIECE:
                        self._blocks.put(bytes(piece))
                        piece.clear()
            self._blocks.put(bytes(piece))
        except BaseException as exc:  # handed to the caller's thread, raised there
            self.error = exc
        finally:
            self._blocks.put(self._END)

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        """Wait for bytes not yet read; False at the end of the COPY."""
        while not self._rest and not self._done:
            block = self._blocks.get()
            if block is self._END:
                self._done = True
            else:
                self._rest = memoryview(block)
        if self.error is not None:
            raise self.error
        return bool(self._rest)

    def readinto(self, buffer) -> int:
        """Fill ``buffer``, waiting for the server if need be; short only at the end."""
        n = 0
        while n < len(buffer) and self._fill():
            k = min(len(buffer) - n, len(self._rest))
            buffer[n : n + k] = self._rest[:k]
            self._rest, n = self._rest[k:], n + k
        return n

    def tables(self, schema: pa.Schema) -> Iterator[pa.Table]:
        """The CSV parsed in batches of about :data:`BATCH_BYTES`; the COPY's own error
        (not pyarrow's account of it) if it failed."""
        try:
            if not self._fill():  # no row (pyarrow refuses an empty file)
                yield schema.empty_table()
                return
            csv = pacsv.open_csv(
                self,
                read_options=pacsv.ReadOptions(column_names=schema.names, block_size=BATCH_BYTES),
                convert_options=pacsv.ConvertOptions(
                    column_types=schema, strings_can_be_null=False
                ),
            )
            for batch in csv:
                yield pa.Table.from_batches([batch], schema)
        except Exception:
            self._thread.join()
            if self.error is not None:
                raise self.error from None
            raise

    def close(self) -> None:
        self._thread.join()
        super().close()


def _with_levels(table: pa.Table, raking: tuple[RakingSource, ...]) -> pa.Table:
    """Each ``rake:`` column as the response's level (the answer's value as text, or the
    attribute, as read); null when it has none."""
    for s in raking:
        name = RAKE + s.variable
        levels = [s.level_of(v) for v in table.column(name).to_pylist()]
        table = table.set_column(table.schema.get_field_index(name), name,
                                 pa.array(levels, pa.string()))  # fmt: skip
    return table


def chunk_responses(table: pa.Table, items: tuple[str, ...], weight: np.ndarray) -> agg.Responses:
    """A chunk as the arrays of :class:`aggregation.inputs.Responses`, straight from Arrow,
    with each response's planned weight (:func:`planned_weights`)."""
    answers = np.empty((table.num_rows, len(items)))
    for j, item in enumerate(items):  # nulls become nan: not answered
        answers[:, j] = table.column(item).to_numpy(zero_copy_only=False)
    factors = {name: _factor(table.column(name)) for name in ("unit", "group", "stratum", "psu")}
    return agg.Responses(
        **{name: labels[codes] for name, (labels, codes) in factors.items()},
        weight=weight,
        items=items,
        answers=answers,
        factors=factors,
    )


def _factor(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A string column as its distinct values (a numpy str array) and each row's code
    into them, through Arrow's dictionary (a hash, not a sort): each distinct value
    becomes a Python string once, not once per row."""
    encoded = column.combine_chunks().dictionary_encode()
    labels = np.array(encoded.dictionary.to_pylist(), dtype=str)
    return labels, encoded.indices.to_numpy(zero_copy_only=False)


def stratum_weights(rnd: Round, stratum_n: dict[str, float]) -> dict[str, float]:
    """FORMATS.md: population of the stratum / responses received in it; 1 without a frame."""
    if not rnd.frame:
        return dict.fromkeys(stratum_n, 1.0)
    population = {f.stratum: f.population for f in rnd.frame}
    return {s: population[s] / n for s, n in stratum_n.items() if s in population}


def strata_plan(rnd: Round, exclude_bursts: bool = False) -> list[list]:
    """``[stratum, responses, frame weight]`` of every stratum with responses (GROUP BY).

    Weights are planned before any chunk is mapped, so each chunk's sums carry final
    weights; the reduce checks that the chunks read exactly these responses.

    Raises
    ------
    IndexInputError
        A stratum with responses is not in the frame.
    """
    stmt = (
        select(Response.stratum, func.count())
        .where(Response.round_id == rnd.id)
        .group_by(Response.stratum)
        .order_by(Response.stratum)
    )
    if exclude_bursts:  # the same responses as the chunks read (read_chunk)
        stmt = stmt.where(~Response.is_burst)
    counts = {stratum: float(n) for stratum, n in db.session.execute(stmt)}
    weights = stratum_weights(rnd, counts)
    unknown = sorted(set(counts) - set(weights))
    if unknown:
        raise agg.IndexInputError(
            f"stratum '{unknown[0]}' has responses but no weight (is it in the sampling frame?)"
        )
    return [[s, int(n), weights[s]] for s, n in counts.items()]


def planned_weights(table: pa.Table, plan: dict, sources: tuple[RakingSource, ...]):
    """Each response's weight from the run's plan (raked cells or frame weights per
    stratum); None if a response is in no cell of the plan (it arrived after the run
    started)."""
    if plan.get("raking"):
        return _raked_from_plan(table, plan["raking"], sources)
    strata = pa.array([s for s, _n, _w in plan["strata"]], pa.string())
    weight = np.array([w for _s, _n, w in plan["strata"]] + [np.nan])
    at = pc.index_in(table.column("stratum"), value_set=strata).to_numpy(zero_copy_only=False)
    out = weight[np.where(np.isnan(at), -1, at).astype(np.int64)]
    return None if np.isnan(out).any() else out


def planned_counts(plan: dict) -> dict[str, float]:
    """Responses per stratum the plan weighted."""
    if not plan.get("raking"):
        return {s: float(n) for s, n, _w in plan["strata"]}
    out: dict[str, float] = defaultdict(float)
    for stratum, _levels, n, _w in plan["raking"]["cells"]:
        out[stratum] += n
    return dict(out)


def raking_plan(rnd: Round, exclude_bursts: bool = False) -> dict | None:
    """The raked weight of every (stratum, levels) cell of the round's responses, or None
    when the round has no margins.

    Levels come from :mod:`survey_app.rounds.attributes` (a categorical answer by choice
    name, or a respondent attribute); the base weight is the stratum's frame weight; the
    factors are R ``rake()``'s (IPF on the joint table, ``aggregation.raking``). Reads one
    row per cell (GROUP BY), not one per response.

    Raises
    ------
    DesignError
        A response has no level, a level has no margin, a margin level no respondent, or
        a stratum is not in the frame.
    """
    if not rnd.margins:
        return None
    targets: dict[str, dict[str, float]] = defaultdict(dict)
    for m in rnd.margins:
        targets[m.variable][m.level] = m.count
    sources = raking_sources(rnd.questionnaire, targets)
    exprs = [
        (Response.answers[s.item] if s.item else Response.attributes[s.variable]).as_string()
        for s in sources
    ]
    stmt = (
        select(Response.stratum, *exprs, func.count())
        .where(Response.round_id == rnd.id)
        .group_by(Response.stratum, *exprs)
    )
    if exclude_bursts:  # the same responses as the chunks read (read_chunk)
        stmt = stmt.where(~Response.is_burst)
    cells: dict[tuple, int] = defaultdict(int)
    for stratum, *raw, n in db.session.execute(stmt):
        levels = tuple(s.level_of(v) for s, v in zip(sources, raw, strict=True))
        cells[(stratum, levels)] += n
    if not cells:
        return None
    per_stratum: dict[str, float] = defaultdict(float)
    for (stratum, _), n in cells.items():
        per_stratum[stratum] += n
    base = stratum_weights(rnd, per_stratum)
    unknown = sorted(set(per_stratum) - set(base))
    if unknown:
        raise agg.IndexInputError(f"stratum '{unknown[0]}' has responses but is not in the frame")
    keys = list(cells)
    rows = np.array([cells[k] for k in keys], dtype=float)
    g, fit = rake_table(
        [s.variable for s in sources],
        [[k[1][v] for k in keys] for v in range(len(sources))],
        np.array([base[k[0]] for k in keys]) * rows,
        rows,
        [targets[s.variable] for s in sources],
    )
    return {
        "variables": [s.variable for s in sources],
        "from_answers": [s.variable for s in sources if s.item],
        "iterations": fit.iterations,
        "converged": fit.converged,
        "cells": [
            [stratum, list(levels), int(n), float(base[stratum] * f)]
            for (stratum, levels), n, f in zip(keys, rows, g, strict=True)
        ],
    }


def _raked_from_plan(table: pa.Table, plan: dict, sources: tuple[RakingSource, ...]):
    """Each response's raked weight from the plan; None if a response is in no cell of
    the plan (it arrived after the run started)."""
    weight = {(c[0], tuple(c[1])): c[3] for c in plan["cells"]}
    columns = ["stratum", *(RAKE + s.variable for s in sources)]
    keys = zip(*(table.column(c).to_pylist() for c in columns), strict=True)
    out = [weight.get((k[0], tuple(k[1:]))) for k in keys]
    return None if any(w is None for w in out) else np.array(out, dtype=float)


def empty_chunk(items: tuple[str, ...]) -> pa.Table:
    """A chunk without responses (a round nobody answered)."""
    return _schema(items, ()).empty_table()


def survey_context(rnd: Round) -> agg.IndexInputs:
    """What mapping a chunk needs: criteria sets, units and scales (no assessments)."""
    return agg.IndexInputs(
        criteria_sets=tuple(criteria_set(cs) for cs in rnd.criteria_sets),
        units={u.code: u.kind.code for u in rnd.units},
        item_scales=item_scales(rnd),
        self_scores=(),
    )


def load_context(rnd: Round, ministry_index: float | None = None) -> agg.IndexInputs:
    """Everything the index of ``rnd`` needs except the responses (read in chunks)."""
    return agg.IndexInputs(
        criteria_sets=tuple(criteria_set(cs) for cs in rnd.criteria_sets),
        units={u.code: u.kind.code for u in rnd.units},
        item_scales=item_scales(rnd),
        self_scores=_self_scores(rnd),
        bonus_penalty=_bonus_penalty(rnd),
        previous=_previous(rnd),
        ministry_index=ministry_index if ministry_index is not None else rnd.ministry_index,
    )


def _self_scores(rnd: Round) -> tuple[agg.SelfScore, ...]:
    rows = db.session.scalars(
        select(SelfAssessment).where(
            SelfAssessment.round_id == rnd.id, SelfAssessment.self_points.is_not(None)
        )
    )
    return tuple(
        agg.SelfScore(r.unit.code, r.subcriterion.code, r.self_points, r.appraised_points)
        for r in rows
    )


def _bonus_penalty(rnd: Round) -> tuple[agg.BonusPenalty, ...]:
    rows = db.session.execute(
        select(Unit.code, BonusPenaltyRow.bonus, BonusPenaltyRow.penalty)
        .join(Unit, Unit.id == BonusPenaltyRow.unit_id)
        .where(BonusPenaltyRow.round_id == rnd.id)
    )
    return tuple(
        agg.BonusPenalty(code, bonus or 0.0, penalty or 0.0) for code, bonus, penalty in rows
    )


def _previous(rnd: Round) -> dict[str, float]:
    """Each unit's latest published index from a year before the round's criteria sets."""
    year = min((cs.year for cs in rnd.criteria_sets), default=None)
    stmt = (
        select(Unit.code, PreviousResult.year, PreviousResult.index_value)
        .join(Unit, Unit.id == PreviousResult.unit_id)
        .where(Unit.id.in_([u.id for u in rnd.units]))
        .order_by(PreviousResult.year)
    )
    if year is not None:
        stmt = stmt.where(PreviousResult.year < year)
    return {code: value for code, _year, value in db.session.execute(stmt)}
