"""The workflow's rules: valid points, the deadline, and who may change what in which state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from survey_app.core.db import utcnow

#: Below this, two point values are the same (points carry at most two decimals on the web).
EPSILON = 1e-9
_CENT = Decimal("0.01")


class AssessmentError(ValueError):
    """A change the workflow refuses; ``message`` is an English msgid, ``params`` fill it."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message.format(**params) if params else message)


def parse_points(raw: str) -> Decimal:
    """Points as typed: ``2.85`` or, as Vietnamese write it, ``2,85``."""
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        raise AssessmentError("'{value}' is not a number.", value=raw) from None
    if not value.is_finite():
        raise AssessmentError("'{value}' is not a number.", value=raw)
    return value


def check_points(value: Decimal | float | str, maximum: float) -> float:
    """0 ≤ points ≤ maximum, at most two decimals; the points as a float."""
    points = value if isinstance(value, Decimal) else parse_points(str(value))
    if points < 0 or points > Decimal(str(maximum)):  # first: 1e400 cannot be quantized
        raise AssessmentError("Points must be between 0 and {max}.", max=f"{maximum:g}")
    if points != points.quantize(_CENT):
        raise AssessmentError("Use at most two decimals.")
    return float(points)


def differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is not b
    return abs(a - b) > EPSILON


def self_deadline(rnd) -> dt.datetime | None:
    """The self-assessment deadline: the round's own, else the end of the survey window."""
    return rnd.self_deadline_at or rnd.closes_at


def deadline_passed(rnd, now: dt.datetime | None = None) -> bool:
    deadline = self_deadline(rnd)
    return deadline is not None and (now or utcnow()) >= deadline


def is_adjusted(sa) -> bool:
    """Round 1 gave other points than the unit's own."""
    first = first_appraisal(sa)
    return first is not None and differs(first.points, sa.self_points)


def first_appraisal(sa):
    return next((a for a in sa.appraisals if a.appraisal_round == 1), None)


def can_edit_self(sa, rnd) -> bool:
    """Drafts are the unit's until the deadline; after submission or the deadline, locked."""
    return (sa is None or sa.state == "draft") and not deadline_passed(rnd)


def can_explain(sa) -> bool:
    """The unit answers an adjustment of round 1, until round 2 decides."""
    return sa.state in ("appraised", "explained") and is_adjusted(sa)


def can_add_evidence(sa, rnd) -> bool:
    return can_edit_self(sa, rnd) or can_explain(sa)


def can_appraise_first(sa) -> bool:
    """Round 1 is open on submitted scores, and revisable until the unit explains."""
    return sa.state == "submitted" or (sa.state == "appraised" and not sa.explanations)


def can_decide_second(sa) -> bool:
    """Round 2 decides adjusted scores, explained or not."""
    return sa.state in ("appraised", "explained") and is_adjusted(sa)
