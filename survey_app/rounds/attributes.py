"""Where a response's raking attribute comes from (issue 19).

A margin variable of the round (``population_margins.variable``) that names a
categorical question of its questionnaire takes its level from the response's answer, by
choice NAME (``female``), whatever the channel (online, open link, paper): answers are
stored as the choice's value, mapped to its name here. Any other variable is a column of
the respondent list, copied to ``responses.attributes``. The answer wins when both exist:
it is what the respondent said. An unanswered question, or a missing attribute, has no
level (None), which the raking refuses, as ``parindex estimate --rake`` refuses an empty
raking cell (R's ``postStratify`` would leave that respondent's weight NA).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from survey_app.questionnaires.models import Questionnaire


@dataclass(frozen=True)
class RakingSource:
    """One raking variable and where its level is read."""

    variable: str
    #: the categorical question answering it, or None: a respondent attribute
    item: str | None = None
    #: stored answer value → choice name (the level of a margins file)
    names: tuple[tuple[int, str], ...] = ()

    def level(self, answers: dict[str, Any] | None, attributes: dict[str, Any] | None):
        """The response's level of this variable, or None when it has none."""
        if self.item is None:
            value = (attributes or {}).get(self.variable)
            return None if value in (None, "") else str(value)
        return self.name_of((answers or {}).get(self.item))

    def level_of(self, raw) -> str | None:
        """The level of a value read from the database (an answer's value or an attribute)."""
        if self.item is not None:
            return self.name_of(raw)
        return None if raw in (None, "") else str(raw)

    def name_of(self, value) -> str | None:
        if value in (None, ""):
            return None
        return dict(self.names).get(int(float(value)))


def categorical_names(questionnaire: Questionnaire, code: str) -> dict[int, str] | None:
    """Value → choice name of a categorical item; None if ``code`` is no such item."""
    item = questionnaire.item(code)
    if item is None or item.kind != "choice" or item.scale is None:
        return None
    return {lv.value: lv.name for lv in item.scale.levels if lv.name}


def raking_sources(questionnaire: Questionnaire, variables) -> tuple[RakingSource, ...]:
    """A source per variable, in sorted order (the raking order)."""
    out = []
    for variable in sorted(set(variables)):
        names = categorical_names(questionnaire, variable)
        if names is None:
            out.append(RakingSource(variable))
        else:
            out.append(RakingSource(variable, variable, tuple(sorted(names.items()))))
    return tuple(out)
