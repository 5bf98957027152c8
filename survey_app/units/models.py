"""Units, unit kinds and previous results."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db


class UnitKind(db.Model):
    """A kind of unit; units are ranked only against units of the same kind."""

    __tablename__ = "unit_kinds"

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: stable code used in files, such as ``cuc`` or ``vu``
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: Vietnamese name (defaults to the code)
    name_vi: Mapped[str] = mapped_column(String(255))
    #: English name (defaults to the code)
    name_en: Mapped[str] = mapped_column(String(255))


class Unit(db.Model):
    """A unit that is scored: a Cục, a Vụ, a province department …"""

    __tablename__ = "units"

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: stable code used in files, such as ``C01``
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: the kind it is ranked within
    kind_id: Mapped[int] = mapped_column(ForeignKey("unit_kinds.id"), index=True)
    #: Vietnamese name
    name_vi: Mapped[str] = mapped_column(String(255))
    #: English name
    name_en: Mapped[str] = mapped_column(String(255))
    #: offered for new rounds; a deactivated unit stays in past rounds and their results
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    kind: Mapped[UnitKind] = relationship(lazy="joined")

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi


class PreviousResult(db.Model):
    """A published index of an earlier year, for the changes on last year."""

    __tablename__ = "previous_results"
    __table_args__ = (
        UniqueConstraint("unit_id", "year"),
        CheckConstraint("index_value >= 0 AND index_value <= 100", name="index_in_range"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the unit
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    #: the year the index was published for
    year: Mapped[int] = mapped_column(Integer)
    #: the published index, percent
    index_value: Mapped[float] = mapped_column(Float)
