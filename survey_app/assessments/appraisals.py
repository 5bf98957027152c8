"""The council's side: appraisal rounds 1 and 2, the unit's explanations, bonus and penalty."""

from __future__ import annotations

from survey_app.assessments.models import Appraisal, BonusPenalty, Explanation, SelfAssessment
from survey_app.assessments.operations import log_assessment
from survey_app.assessments.queries import bonus_penalty_of
from survey_app.assessments.rules import (
    AssessmentError,
    can_appraise_first,
    can_decide_second,
    can_explain,
    check_points,
    differs,
    first_appraisal,
)
from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.rounds.models import Round


def _not_published(round_id: int) -> None:
    """A published round's index is final: its scores, appraisals, explanations, bonus
    and penalty no longer change (the published run's figures are frozen anyway)."""
    if db.session.get(Round, round_id).state == "published":
        raise AssessmentError("This round's results are published; its scores no longer change.")


def _reason(sa: SelfAssessment, points: float, reason: str | None) -> str | None:
    reason = (reason or "").strip() or None
    if differs(points, sa.self_points) and not reason:
        raise AssessmentError("Give a reason for changing the unit's score.")
    return reason


def appraise(sa: SelfAssessment, points, reason: str | None, appraiser) -> Appraisal:
    """Round 1: accept (same points) or adjust (a reason is required); revisable until explained."""
    _not_published(sa.round_id)
    if not can_appraise_first(sa):
        raise AssessmentError("Round 1 is closed for this score.")
    value = check_points(points, sa.subcriterion.max_points)
    reason = _reason(sa, value, reason)
    first = first_appraisal(sa)
    old = None if first is None else {"appraised": first.points, "state": sa.state}
    if first is None:
        first = Appraisal(appraisal_round=1)
        sa.appraisals.append(first)
    first.points, first.reason, first.appraiser_id = value, reason, appraiser.id
    sa.appraised_points, sa.state = value, "appraised"
    db.session.flush()
    new = {"round": 1, "self": sa.self_points, "appraised": value, "state": "appraised"}
    log_assessment("assessment.appraise", sa, old or {"state": "submitted"}, new, reason)
    return first


def explain(sa: SelfAssessment, text: str, author) -> Explanation:
    """The unit's answer (giải trình) to an adjustment of round 1."""
    _not_published(sa.round_id)
    if not can_explain(sa):
        raise AssessmentError("Only an adjusted score can be explained, before round 2.")
    text = (text or "").strip()
    if not text:
        raise AssessmentError("Write the explanation.")
    explanation = Explanation(text=text, author_id=author.id)
    sa.explanations.append(explanation)
    old_state, sa.state = sa.state, "explained"
    db.session.flush()
    log_assessment(
        "assessment.explain", sa, {"state": old_state}, {"state": "explained", "text": text}
    )
    return explanation


def decide_round_two(sa: SelfAssessment, points, reason: str | None, appraiser) -> Appraisal:
    """Round 2: the final points of an adjusted score; a reason for any change from round 1."""
    _not_published(sa.round_id)
    if not can_decide_second(sa):
        raise AssessmentError("Round 2 decides adjusted scores of round 1 only, once.")
    value = check_points(points, sa.subcriterion.max_points)
    first = first_appraisal(sa)
    reason = (reason or "").strip() or None
    if differs(value, first.points) and not reason:
        raise AssessmentError("Give a reason for changing the round 1 decision.")
    second = Appraisal(appraisal_round=2, points=value, reason=reason, appraiser_id=appraiser.id)
    sa.appraisals.append(second)
    old = {"appraised": sa.appraised_points, "state": sa.state}
    sa.appraised_points, sa.state = value, "final"
    db.session.flush()
    new = {"round": 2, "self": sa.self_points, "appraised": value, "state": "final"}
    log_assessment("assessment.decide", sa, old, new, reason)
    return second


def set_bonus_penalty(rnd, unit, cs, bonus, bonus_reason, penalty, penalty_reason) -> BonusPenalty:
    """Bonus and penalty within the criteria set's caps (no cap: none allowed), with reasons."""
    _not_published(rnd.id)
    b = _capped(bonus, cs.bonus_cap, "bonus")
    p = _capped(penalty, cs.penalty_cap, "penalty")
    bonus_reason, penalty_reason = (bonus_reason or "").strip(), (penalty_reason or "").strip()
    if (b and not bonus_reason) or (p and not penalty_reason):
        raise AssessmentError("Give a reason for every bonus and penalty.")
    row = bonus_penalty_of(rnd, unit) or BonusPenalty(round_id=rnd.id, unit_id=unit.id)
    old = None if row.id is None else {"bonus": row.bonus, "penalty": row.penalty}
    row.bonus, row.penalty = b, p
    row.bonus_reason, row.penalty_reason = bonus_reason or None, penalty_reason or None
    db.session.add(row)
    db.session.flush()
    reason = "; ".join(r for r in (bonus_reason, penalty_reason) if r) or None
    log_change(
        "assessment.bonus_penalty",
        "bonus_penalty",
        row.id,
        old=old,
        new={"bonus": b, "penalty": p},
        reason=reason,
        unit_id=unit.id,
        round_id=rnd.id,
    )
    return row


_CAP_MESSAGES = {
    "bonus": "The bonus must be between 0 and {max} points (the criteria set's cap).",
    "penalty": "The penalty must be between 0 and {max} points (the criteria set's cap).",
}


def _capped(value, cap: float | None, label: str) -> float:
    try:
        return check_points(value if value is not None else 0, cap or 0)
    except AssessmentError as exc:
        if "{max}" not in exc.message:
            raise
        raise AssessmentError(_CAP_MESSAGES[label], max=f"{cap or 0:g}") from None


def import_bonus_penalties(rnd, rows, source: str) -> int:
    """Bonus and penalty from a file (``unit,bonus,penalty``); the file is the reason."""
    units = {u.code: u for u in rnd.units}
    sets = {cs.unit_kind_id: cs for cs in rnd.criteria_sets}
    reason = f"imported from {source}"
    for row in rows:
        unit = units[row.unit]
        set_bonus_penalty(rnd, unit, sets[unit.kind_id], row.bonus, reason, row.penalty, reason)
    return len(rows)
