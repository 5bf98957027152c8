"""Forms of the self-assessment sheet, appraisal, explanation, evidence, imports."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from survey_app.accounts.forms import I18nForm
from survey_app.assessments.rules import AssessmentError, check_points, parse_points
from survey_app.core import numbers
from survey_app.core.fields import LocalDateTimeField

NOTE_MAX = 4000


class PointsField(StringField):
    """Points as typed (``2,85`` or ``2.85``); ``points`` holds the Decimal, or None."""

    points = None

    def process_formdata(self, valuelist):
        self.data = (valuelist[0] if valuelist else "").strip()
        self.points = None
        if self.data:
            try:
                self.points = parse_points(self.data)
            except AssessmentError:
                raise ValueError(self.gettext("Enter a number, such as 2.5.")) from None

    def _value(self):
        if isinstance(self.data, float | Decimal):  # stored points: in the page's notation
            return numbers.typed(self.data)
        return self.data or ""


class PointsRange:
    """0 ≤ points ≤ maximum, at most two decimals (the same rule as the operations)."""

    def __init__(self, maximum: float) -> None:
        self.maximum = maximum

    def __call__(self, form, field) -> None:
        if field.points is None:
            return
        try:
            check_points(field.points, self.maximum)
        except AssessmentError as exc:
            raise ValidationError(field.gettext(exc.message).format(**exc.params)) from None


def make_self_sheet_form(rows):
    """One points and one note field per self sub-criterion (built at run time)."""

    class SelfSheetForm(I18nForm):
        pass

    data = {}
    for row in rows:
        sid = row.sub.id
        setattr(
            SelfSheetForm,
            f"points_{sid}",
            PointsField(row.sub.code, [Optional(), PointsRange(row.sub.max_points)]),
        )
        setattr(SelfSheetForm, f"note_{sid}", TextAreaField("Note", [Length(max=NOTE_MAX)]))
        if row.sa is not None:
            data[f"points_{sid}"] = row.sa.self_points
            data[f"note_{sid}"] = row.sa.note
    return SelfSheetForm(data=data)


class AppraisalForm(I18nForm):
    """Points and, when they differ from the reference points, a reason."""

    points = PointsField("Appraised points", [InputRequired()])
    reason = TextAreaField("Reason", [Length(max=NOTE_MAX)])

    def __init__(self, maximum: float, reference: float | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.points.validators = [InputRequired(), PointsRange(maximum)]
        self.reason.validators = [ReasonIfChanged("points", reference), Length(max=NOTE_MAX)]


class ExplanationForm(I18nForm):
    text = TextAreaField("Explanation", [DataRequired(), Length(max=8000)])


class EvidenceForm(I18nForm):
    file = FileField("Evidence file", [FileRequired()])


class ImportForm(I18nForm):
    file = FileField("File (CSV or XLSX)", [FileRequired()])


class BonusPenaltyForm(I18nForm):
    bonus = PointsField("Bonus points", [Optional()])
    bonus_reason = TextAreaField("Reason for the bonus", [Length(max=NOTE_MAX)])
    penalty = PointsField("Penalty points", [Optional()])
    penalty_reason = TextAreaField("Reason for the penalty", [Length(max=NOTE_MAX)])


class DeadlineForm(I18nForm):
    deadline = LocalDateTimeField("Self-assessment deadline", [Optional()])
    reason = StringField("Reason", [Length(max=500)])


class ReasonIfChanged:
    """A reason is required when the points field next to it differs from ``reference``."""

    def __init__(self, points_name: str, reference: float | None) -> None:
        self.points_name, self.reference = points_name, reference

    def __call__(self, form, field) -> None:
        points = form[self.points_name].points
        changed = points is not None and (
            self.reference is None or abs(float(points) - self.reference) > 1e-9
        )
        if changed and not (field.data or "").strip():
            raise ValidationError(field.gettext("A reason is required when the points change."))


def make_appraisal_sheet_form(rows):
    """Round 1 for every score still open to it: points (the unit's by default) and reason."""

    class AppraisalSheetForm(I18nForm):
        pass

    data = {}
    for row in rows:
        sa = row.sa
        points, reason = f"points_{sa.id}", f"reason_{sa.id}"
        validators = [InputRequired(), PointsRange(row.sub.max_points)]
        setattr(AppraisalSheetForm, points, PointsField(row.sub.code, validators))
        setattr(
            AppraisalSheetForm,
            reason,
            TextAreaField(
                "Reason", [ReasonIfChanged(points, sa.self_points), Length(max=NOTE_MAX)]
            ),
        )
        first = next((a for a in sa.appraisals if a.appraisal_round == 1), None)
        data[points] = first.points if first else sa.self_points
        data[reason] = first.reason if first else None
    return AppraisalSheetForm(data=data)
