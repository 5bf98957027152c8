"""Criteria sets, their areas, criteria, sub-criteria and group weights."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, check_in, utcnow
from survey_app.extensions import db

SOURCES = ("self", "survey")


class CriteriaSet(db.Model):
    """A versioned rule set (bộ chỉ số) for one unit kind and year."""

    __tablename__ = "criteria_sets"
    __table_args__ = (
        CheckConstraint("min_group_respondents >= 1", name="min_group_positive"),
        CheckConstraint("bonus_cap IS NULL OR bonus_cap >= 0", name="bonus_cap_nonneg"),
        CheckConstraint("penalty_cap IS NULL OR penalty_cap >= 0", name="penalty_cap_nonneg"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: unique code from the file, such as ``MIC-CUC-2018``
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: Vietnamese name
    name_vi: Mapped[str] = mapped_column(String(500))
    #: English name
    name_en: Mapped[str] = mapped_column(String(500))
    #: the year it scores
    year: Mapped[int] = mapped_column(Integer)
    #: the kind of units it scores
    unit_kind_id: Mapped[int] = mapped_column(ForeignKey("unit_kinds.id"))
    #: below this many respondents a group's survey figure is flagged
    min_group_respondents: Mapped[int] = mapped_column(Integer, default=5)
    #: cap on bonus points; null when the rules have no bonus
    bonus_cap: Mapped[float | None] = mapped_column(Float)
    #: cap on penalty points; null when the rules have no penalty
    penalty_cap: Mapped[float | None] = mapped_column(Float)
    #: the YAML as imported, so a round can show exactly what it used
    source_text: Mapped[str] = mapped_column(Text)
    #: when it was imported
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit_kind = relationship("UnitKind", lazy="joined")
    areas: Mapped[list[Area]] = relationship(
        back_populates="criteria_set", order_by="Area.position", cascade="all, delete-orphan"
    )
    group_weights: Mapped[list[GroupWeight]] = relationship(
        cascade="all, delete-orphan", order_by="GroupWeight.group_code"
    )

    def subcriteria(self) -> list[SubCriterion]:
        return [s for a in self.areas for c in a.criteria for s in c.subcriteria]

    @property
    def max_points(self) -> float:
        return sum(s.max_points for s in self.subcriteria())


class GroupWeight(db.Model):
    """The weight α_g of a respondent group in the survey points of a set."""

    __tablename__ = "group_weights"
    __table_args__ = (
        UniqueConstraint("criteria_set_id", "group_code"),
        CheckConstraint("weight > 0 AND weight <= 1", name="weight_in_range"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the criteria set
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id", ondelete="CASCADE"))
    #: respondent group code, such as ``leader``
    group_code: Mapped[str] = mapped_column(String(32))
    #: α_g; the weights of a set sum to 1 (checked at import)
    weight: Mapped[float] = mapped_column(Float)


class Area(db.Model):
    """An area (lĩnh vực) of a criteria set; it gets a component index."""

    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("criteria_set_id", "code"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the criteria set
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id", ondelete="CASCADE"))
    #: code within the set, such as ``"1"``
    code: Mapped[str] = mapped_column(String(32))
    #: order of display
    position: Mapped[int] = mapped_column(Integer)
    #: Vietnamese name
    name_vi: Mapped[str] = mapped_column(String(500))
    #: English name
    name_en: Mapped[str] = mapped_column(String(500))

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="areas")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="area", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(db.Model):
    """A criterion (tiêu chí) within an area."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("area_id", "code"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the area
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    #: code within the set, such as ``"1.1"``
    code: Mapped[str] = mapped_column(String(32))
    #: order of display
    position: Mapped[int] = mapped_column(Integer)
    #: Vietnamese name
    name_vi: Mapped[str] = mapped_column(String(500))
    #: English name
    name_en: Mapped[str] = mapped_column(String(500))

    area: Mapped[Area] = relationship(back_populates="criteria")
    subcriteria: Mapped[list[SubCriterion]] = relationship(
        back_populates="criterion", order_by="SubCriterion.position", cascade="all, delete-orphan"
    )


class SubCriterion(db.Model):
    """A sub-criterion (tiêu chí thành phần): points, and where they come from."""

    __tablename__ = "subcriteria"
    __table_args__ = (
        UniqueConstraint("criteria_set_id", "code"),
        check_in("source", SOURCES, "source_valid"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the criterion
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    #: the set again, so codes are unique per set (denormalised on purpose)
    criteria_set_id: Mapped[int] = mapped_column(
        ForeignKey("criteria_sets.id", ondelete="CASCADE"), index=True
    )
    #: code within the set, such as ``"1.1.2"``
    code: Mapped[str] = mapped_column(String(32))
    #: order of display
    position: Mapped[int] = mapped_column(Integer)
    #: Vietnamese name
    name_vi: Mapped[str] = mapped_column(String(500))
    #: English name
    name_en: Mapped[str] = mapped_column(String(500))
    #: ``self`` (self-assessed, then appraised) or ``survey``
    source: Mapped[str] = mapped_column(String(8))
    #: the most points it can give
    max_points: Mapped[float] = mapped_column(Float)

    criterion: Mapped[Criterion] = relationship(back_populates="subcriteria")
    criteria_set: Mapped[CriteriaSet] = relationship()
    items: Mapped[list[SubCriterionItem]] = relationship(
        order_by="SubCriterionItem.position", cascade="all, delete-orphan"
    )

    @property
    def item_codes(self) -> list[str]:
        return [i.item_code for i in self.items]


class SubCriterionItem(db.Model):
    """A questionnaire item that feeds a survey sub-criterion."""

    __tablename__ = "subcriterion_items"
    __table_args__ = (UniqueConstraint("subcriterion_id", "item_code"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the sub-criterion
    subcriterion_id: Mapped[int] = mapped_column(ForeignKey("subcriteria.id", ondelete="CASCADE"))
    #: the item's code in the questionnaire (sets and questionnaires are versioned apart)
    item_code: Mapped[str] = mapped_column(String(32))
    #: order in the file
    position: Mapped[int] = mapped_column(Integer)
