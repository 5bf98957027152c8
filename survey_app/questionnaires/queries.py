"""Reading questionnaires."""

from __future__ import annotations

from survey_app.questionnaires.models import EVERY_GROUP


def list_respondent_groups(rnd) -> set[str]:
    """The respondent groups a round's questionnaire asks: those its items name, and, when
    an item is asked of every group (an XLSForm without groups), the groups weighted by
    the round's criteria sets."""
    groups = {g for item in rnd.questionnaire.items() for g in item.group_codes}
    if EVERY_GROUP in groups:
        groups.discard(EVERY_GROUP)
        groups |= {g.group_code for cs in rnd.criteria_sets for g in cs.group_weights}
    return groups
