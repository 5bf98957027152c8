"""Loading a round from the database into the pure inputs of ``aggregation``.

Responses are read with plain SQL into arrays (not one ORM object per response), in
chunks, so a national round does not need a big box.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sqlalchemy import select, text

from aggregation import inputs as agg
from survey_app.assessments.models import BonusPenalty as BonusPenaltyRow
from survey_app.assessments.models import SelfAssessment
from survey_app.criteria.models import CriteriaSet as CriteriaSetRow
from survey_app.extensions import db
from survey_app.responses.models import Response
from survey_app.rounds.models import Round
from survey_app.units.models import PreviousResult, Unit

#: Responses per chunk read from the database.
CHUNK_SIZE = 100_000

#: The design columns of a chunk, before one column per item.
DESIGN = ("response_id", "unit", "group", "stratum", "psu")

_COUNT_SQL = text("SELECT count(*) FROM responses WHERE round_id = :round_id")

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


def chunk_bounds(round_id: int, chunk_size: int = CHUNK_SIZE) -> list[str]:
    """The first id of each chunk: the id space cut into ``ceil(n / chunk_size)`` equal
    ranges, the first starting below every id and the last open-ended.

    Ranges always cover every response exactly once, whatever the ids. Because ids are
    random, each range holds about ``chunk_size`` responses (binomially: ± 0.3% for 100,000)
    and a range may even be empty in a tiny round with tiny chunks, which the map handles.
    Counting is an index-only scan; finding exact ``chunk_size`` boundaries meant sorting
    every id of the round (a second for a million responses).
    """
    n = db.session.scalar(_COUNT_SQL, {"round_id": round_id})
    if not n:
        return []
    k = -(-n // chunk_size)
    return ["", *(format((i << _ID_BITS) // k, f"0{_ID_DIGITS}x") for i in range(1, k))]


def read_chunk(
    round_id: int, first_id: str, next_id: str | None, items: tuple[str, ...]
) -> pd.DataFrame:
    """Responses with ``first_id <= id < next_id``, one row per response, answers as columns.

    Plain SQL rows into a DataFrame: no ORM object per response.
    """
    if db.engine.dialect.name == "postgresql":
        return _read_chunk_copy(round_id, first_id, next_id, items)
    stmt = (
        select(
            Response.id,
            Unit.code,
            Response.group_code,
            Response.stratum,
            Response.psu,
            Response.answers,
        )
        .join(Unit, Unit.id == Response.unit_id)
        .where(Response.round_id == round_id, Response.id >= first_id)
        .order_by(Response.id)
    )
    if next_id is not None:
        stmt = stmt.where(Response.id < next_id)
    rows = db.session.execute(stmt).all()
    design = pd.DataFrame([row[:5] for row in rows], columns=list(DESIGN), dtype=object)
    answers = pd.DataFrame([row[5] for row in rows], columns=list(items), dtype=float)
    return pd.concat([design, answers], axis=1)


def _read_chunk_copy(
    round_id: int, first_id: str, next_id: str | None, items: tuple[str, ...]
) -> pd.DataFrame:
    """PostgreSQL: the server reads each answer out of the row's JSONB (``->>``) and
    streams CSV (``COPY``), which pyarrow parses: no ORM or Python object per answer.

    ``random_page_cost`` tells the planner that the primary key serves the id range in
    order (no sort); otherwise it may scan the whole table for every chunk.
    """
    from pyarrow import csv as pacsv

    columns = ["r.id", "u.code", "r.group_code", "r.stratum", "r.psu"]
    columns += ["r.answers ->> %s"] * len(items)
    upper = "AND r.id < %s" if next_id else ""
    sql = (
        f"COPY (SELECT {', '.join(columns)} "
        "FROM responses r JOIN units u ON u.id = r.unit_id "
        f"WHERE r.round_id = %s AND r.id >= %s {upper} ORDER BY r.id"
        ") TO STDOUT WITH (FORMAT csv)"
    )
    params = [*items, round_id, first_id, *([next_id] if next_id else [])]
    raw = db.session.connection().connection.driver_connection
    buf = bytearray()
    with raw.cursor() as cur:
        cur.execute("SET LOCAL random_page_cost = 1.1")
        cur.execute("SET LOCAL jit = off")  # compiling each chunk's query costs more than it saves
    with raw.cursor() as cur, cur.copy(sql, params) as copy:
        for block in copy:
            buf += block
    import pyarrow as pa

    schema = pa.schema([(n, pa.string()) for n in DESIGN] + [(n, pa.float64()) for n in items])
    if not buf:  # a range holding no response (pyarrow refuses an empty file)
        return schema.empty_table().to_pandas()
    table = pacsv.read_csv(
        pa_buffer(buf),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=False),
    )
    return table.to_pandas()


def pa_buffer(data: bytearray):
    import pyarrow as pa

    return pa.BufferReader(pa.py_buffer(bytes(data)))


def response_chunks(
    round_id: int, items: tuple[str, ...], chunk_size: int = CHUNK_SIZE
) -> Iterator[pd.DataFrame]:
    """Every response of the round, ``chunk_size`` at a time."""
    bounds = chunk_bounds(round_id, chunk_size)
    for first, nxt in zip(bounds, [*bounds[1:], None], strict=True):
        yield read_chunk(round_id, first, nxt, items)


def chunk_responses(wide: pd.DataFrame, items: tuple[str, ...]) -> agg.Responses:
    """A chunk as the arrays of :class:`aggregation.inputs.Responses`, with unit weights
    (frame weights are applied to the merged sums, see :func:`stratum_weights`)."""
    return agg.Responses(
        unit=wide["unit"].to_numpy(dtype=str),
        group=wide["group"].to_numpy(dtype=str),
        stratum=wide["stratum"].to_numpy(dtype=str),
        psu=wide["psu"].to_numpy(dtype=str),
        weight=np.ones(len(wide)),
        items=items,
        answers=wide[list(items)].to_numpy(dtype=float),
    )


def stratum_weights(rnd: Round, stratum_n: dict[str, float]) -> dict[str, float]:
    """FORMATS.md: population of the stratum / responses received in it; 1 without a frame."""
    if not rnd.frame:
        return dict.fromkeys(stratum_n, 1.0)
    population = {f.stratum: f.population for f in rnd.frame}
    return {s: population[s] / n for s, n in stratum_n.items() if s in population}


def load_context(rnd: Round, ministry_index: float | None = None) -> agg.IndexInputs:
    """Everything the index of ``rnd`` needs except the responses (read in chunks)."""
    scales = item_scales(rnd)
    items = tuple(scales)
    empty = chunk_responses(_empty(items), items)
    return agg.IndexInputs(
        criteria_sets=tuple(criteria_set(cs) for cs in rnd.criteria_sets),
        units={u.code: u.kind.code for u in rnd.units},
        item_scales=scales,
        responses=empty,
        self_scores=_self_scores(rnd),
        bonus_penalty=_bonus_penalty(rnd),
        previous=_previous(rnd),
        ministry_index=ministry_index if ministry_index is not None else rnd.ministry_index,
    )


def _empty(items: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*DESIGN, *items])


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
