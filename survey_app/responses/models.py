"""Anonymous responses: design variables and answers, nothing that identifies a person."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import check_in
from survey_app.extensions import db

CHANNELS = ("online", "import", "open_link")


#: Response ids compare byte by byte on PostgreSQL: the worker reads responses in id
#: ranges, and a locale collation makes every sort and range test several times slower.
RESPONSE_ID = String(32).with_variant(String(32, collation="C"), "postgresql")

#: Answers as one JSON object on the response row: the worker reads a chunk of responses
#: with their answers in one pass, with no join or pivot (JSONB on PostgreSQL, whose
#: ``->>`` reads one key without parsing the text).
ANSWERS = JSON().with_variant(JSONB(), "postgresql")


def new_response_id() -> str:
    """A random id: it says nothing about who answered, or when, or in what order."""
    return secrets.token_hex(16)


class Response(db.Model):
    """One submitted questionnaire. No foreign key to the invitation, on purpose."""

    __tablename__ = "responses"
    __table_args__ = (
        check_in("channel", CHANNELS, "channel_valid"),
        Index("ix_responses_round_unit_group", "round_id", "unit_id", "group_code"),
    )

    #: random id (see :func:`new_response_id`)
    id: Mapped[str] = mapped_column(RESPONSE_ID, primary_key=True, default=new_response_id)
    #: the round
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    #: the unit rated
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: respondent group
    group_code: Mapped[str] = mapped_column(String(32))
    #: sampling stratum
    stratum: Mapped[str] = mapped_column(String(64))
    #: primary sampling unit
    psu: Mapped[str] = mapped_column(String(64))
    #: the round's weighting variables (sex, age band …), never names or addresses
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the day of submission only: a time would let it be matched to a log line
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    #: online (invitation), import (paper, partner tool) or open_link
    channel: Mapped[str] = mapped_column(String(16), default="online")
    #: item code → the value of the level chosen ("don't know" levels stored as given);
    #: items not shown or left empty are absent. Written with the response, never changed.
    answers: Mapped[dict[str, int]] = mapped_column(ANSWERS, default=dict)
    #: came through an open link above its burst threshold (``openlinks/ratelimit.py``);
    #: a run may leave such responses out (``worker.pipeline.start_run``)
    is_burst: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    unit = relationship("Unit")
