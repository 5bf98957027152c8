"""Flag strings attached to sub-criteria and units; stable, scripts match on them."""

from __future__ import annotations

#: A respondent group with answers has fewer valid respondents than the set's
#: ``min_group_respondents`` (DOMAIN.md); the figure is computed but fragile.
FEW_RESPONDENTS = "few_respondents"

#: A respondent group has no valid answer for this unit and sub-criterion; the other
#: groups' α_g were re-normalised to sum to 1 (DOMAIN.md).
GROUP_MISSING = "group_missing"

#: The self-assessed score has not been appraised yet (``appraised_points`` empty): the
#: unit's own score is used (FORMATS.md).
NOT_APPRAISED = "not_appraised"

#: The unit has no self-assessment row for a self sub-criterion: it counts 0 points.
NOT_ASSESSED = "not_assessed"

#: Bonus or penalty above the criteria set's cap: the cap was used.
BONUS_CAPPED = "bonus_capped"
PENALTY_CAPPED = "penalty_capped"

#: The unit's index CI overlaps the CI of a unit ranked next to it: the order of the two
#: is not settled by the data.
OVERLAPS_NEIGHBOUR = "ci_overlaps_neighbour"

#: Flags of sub-criteria that are carried up to the unit's own flags.
CARRIED_TO_UNIT = (FEW_RESPONDENTS, GROUP_MISSING, NOT_APPRAISED, NOT_ASSESSED)
