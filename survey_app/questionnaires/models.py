"""Questionnaires, scales and their levels, sections and items."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import UTCDateTime, utcnow
from survey_app.extensions import db
from survey_app.formats.questionnaire_yaml import EVERY_GROUP


class Questionnaire(db.Model):
    """A questionnaire (phiếu điều tra), imported from YAML or XLSForm."""

    __tablename__ = "questionnaires"

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: unique code from the file, such as ``MIC-XHH-2018``
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: Vietnamese title
    title_vi: Mapped[str] = mapped_column(String(500))
    #: English title
    title_en: Mapped[str] = mapped_column(String(500))
    #: the file as imported (YAML text, or a note for XLSForm)
    source_text: Mapped[str] = mapped_column(Text)
    #: when it was imported
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: code of the categorical item whose answer is the respondent group (XLSForm
    #: ``group_question``), or null: the group comes from the invitation or link
    group_question: Mapped[str | None] = mapped_column(String(32))
    #: the introduction shown above the first question (FORMATS.md ``intro``), all
    #: optional: why the survey is run, who runs it, whom to contact, how answers are kept
    purpose_vi: Mapped[str | None] = mapped_column(Text)
    purpose_en: Mapped[str | None] = mapped_column(Text)
    organisation_vi: Mapped[str | None] = mapped_column(Text)
    organisation_en: Mapped[str | None] = mapped_column(Text)
    contact_vi: Mapped[str | None] = mapped_column(Text)
    contact_en: Mapped[str | None] = mapped_column(Text)
    anonymity_vi: Mapped[str | None] = mapped_column(Text)
    anonymity_en: Mapped[str | None] = mapped_column(Text)
    #: estimated minutes to answer
    minutes: Mapped[int | None] = mapped_column(Integer)

    scales: Mapped[list[Scale]] = relationship(cascade="all, delete-orphan", order_by="Scale.code")
    sections: Mapped[list[Section]] = relationship(
        cascade="all, delete-orphan", order_by="Section.position"
    )

    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items() if i.code == code), None)


class Scale(db.Model):
    """A named answer scale, such as the four-level ``q4``."""

    __tablename__ = "scales"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the questionnaire
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    #: code used by items
    code: Mapped[str] = mapped_column(String(64))

    levels: Mapped[list[ScaleLevel]] = relationship(
        cascade="all, delete-orphan", order_by="ScaleLevel.position"
    )


class ScaleLevel(db.Model):
    """One answer of a scale: its stored value, labels and score fraction."""

    __tablename__ = "scale_levels"
    __table_args__ = (
        UniqueConstraint("scale_id", "value"),
        CheckConstraint(
            "score IS NULL OR (NOT is_missing AND score >= 0 AND score <= 1)",
            name="score_or_missing",
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the scale
    scale_id: Mapped[int] = mapped_column(ForeignKey("scales.id", ondelete="CASCADE"))
    #: the value stored in answers and files
    value: Mapped[int] = mapped_column(Integer)
    #: order of display
    position: Mapped[int] = mapped_column(Integer)
    #: Vietnamese label
    label_vi: Mapped[str] = mapped_column(String(255))
    #: English label
    label_en: Mapped[str] = mapped_column(String(255))
    #: fraction of the sub-criterion's points this answer earns; null for "don't know"
    score: Mapped[float | None] = mapped_column(Float)
    #: "don't know / no opinion": answered, but missing in every statistic
    is_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the XLSForm name of a categorical choice (its value is then its position)
    name: Mapped[str | None] = mapped_column(String(64))


class Section(db.Model):
    """A section of a questionnaire, shown as one page of the form."""

    __tablename__ = "sections"

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the questionnaire
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    #: order of display
    position: Mapped[int] = mapped_column(Integer)
    #: Vietnamese title
    title_vi: Mapped[str] = mapped_column(String(500))
    #: English title
    title_en: Mapped[str] = mapped_column(String(500))

    items: Mapped[list[Item]] = relationship(cascade="all, delete-orphan", order_by="Item.position")


class Item(db.Model):
    """A question asked of the respondent groups that see it. Its ``kind`` says how it is
    answered (``survey_app.formats.questionnaire_yaml.KINDS``); only ``scale`` items are
    scored."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the questionnaire again, so codes are unique per questionnaire
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    #: the section it is shown in
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    #: code used in files and criteria sets, such as ``Q01``
    code: Mapped[str] = mapped_column(String(32))
    #: order within the section
    position: Mapped[int] = mapped_column(Integer)
    #: question text in Vietnamese
    text_vi: Mapped[str] = mapped_column(Text)
    #: question text in English
    text_en: Mapped[str] = mapped_column(Text)
    #: scale, choice, multiple, text, integer, decimal, date or note
    kind: Mapped[str] = mapped_column(String(16), default="scale", server_default="scale")
    #: the answer scale or choice list (none for text, numbers, dates and notes)
    scale_id: Mapped[int | None] = mapped_column(ForeignKey("scales.id"))
    #: must be answered before submitting (a "don't know" level counts as an answer)
    is_required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: XLSForm-style condition ``${Q01} >= 3``; null = always shown
    relevant: Mapped[str | None] = mapped_column(String(500))
    #: inclusive range of an integer or decimal answer
    minimum: Mapped[float | None] = mapped_column(Float)
    maximum: Mapped[float | None] = mapped_column(Float)
    #: a hint shown under the question (XLSForm ``hint``)
    hint_vi: Mapped[str | None] = mapped_column(Text)
    hint_en: Mapped[str | None] = mapped_column(Text)

    scale: Mapped[Scale | None] = relationship(lazy="joined")
    questionnaire: Mapped[Questionnaire] = relationship()
    groups: Mapped[list[ItemGroup]] = relationship(
        cascade="all, delete-orphan", order_by="ItemGroup.group_code"
    )

    @property
    def group_codes(self) -> list[str]:
        return [g.group_code for g in self.groups]

    def asks(self, group: str) -> bool:
        codes = self.group_codes
        return group in codes or EVERY_GROUP in codes

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_vi

    @property
    def is_scored(self) -> bool:
        """Only scale items count in the index; the other kinds are stored and exported."""
        return self.kind == "scale"


class ItemGroup(db.Model):
    """A respondent group that is asked an item."""

    __tablename__ = "item_groups"
    __table_args__ = (UniqueConstraint("item_id", "group_code"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the item
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    #: respondent group code, such as ``official``
    group_code: Mapped[str] = mapped_column(String(32))
