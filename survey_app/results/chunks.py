"""The chunks of a distributed aggregation run and their partial sums (map results)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.core.db import UTCDateTime
from survey_app.extensions import db
from survey_app.results.models import AggregationRun

#: At most one run per round is queued or running: two clicks or two schedulers asking
#: at once get the same run (a database constraint, so it holds across machines).
Index(
    "uq_aggregation_runs_active_round",
    AggregationRun.round_id,
    unique=True,
    postgresql_where=text("state IN ('queued', 'running')"),
    sqlite_where=text("state IN ('queued', 'running')"),
)


class AggregationChunk(db.Model):
    """A slice of a round's responses (by id range, or on PostgreSQL by physical position:
    ``worker.loading.block_bounds``) and, once mapped, its partial sums."""

    __tablename__ = "aggregation_chunks"
    __table_args__ = (UniqueConstraint("run_id", "chunk_no"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the run
    run_id: Mapped[int] = mapped_column(ForeignKey("aggregation_runs.id", ondelete="CASCADE"))
    #: 0, 1, … in response-id order (or physical order)
    chunk_no: Mapped[int] = mapped_column(Integer)
    #: first response id of the slice (inclusive), or its first tuple id ``(block,0)``
    first_id: Mapped[str] = mapped_column(String(32))
    #: first response id (or tuple id) of the next slice (exclusive); null for the last slice
    next_id: Mapped[str | None] = mapped_column(String(32))
    #: serialised sums (``aggregation.sums.IndexSums``: the engine's sufficient statistics with
    #: their labels and stratum counts); null until mapped
    sums: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: SHA-256 of the responses in the order read (``worker.pipeline.ChunkDigest``), for the
    #: run's inputs hash
    digest: Mapped[str | None] = mapped_column(String(64))
    #: responses read
    n_responses: Mapped[int | None] = mapped_column(Integer)
    #: when the map step stored the sums
    mapped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
