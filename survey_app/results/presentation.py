"""How stored figures are written for people: decimals per language, flags and labels in words."""

from __future__ import annotations

from survey_app.core import numbers
from survey_app.i18n import N_
from survey_app.i18n import gettext as _

#: Shown where a figure does not exist or is withheld.
DASH = numbers.DASH

#: Every flag of ``aggregation/flags.py``: a short label for tables and the legend's words.
FLAGS: dict[str, tuple[str, str]] = {
    "few_respondents": (
        N_("few respondents"),
        N_(
            "A respondent group has fewer respondents than the criteria set's minimum: "
            "the survey figure is computed but fragile."
        ),
    ),
    "group_missing": (
        N_("group missing"),
        N_(
            "A respondent group gave no valid answer: the other groups' weights were "
            "re-normalised to sum to 1."
        ),
    ),
    "not_appraised": (
        N_("not appraised"),
        N_("The self-assessed score has not been appraised yet: the unit's own score is used."),
    ),
    "not_assessed": (
        N_("not assessed"),
        N_("The unit entered no self-assessment for a sub-criterion: it counts 0 points."),
    ),
    "bonus_capped": (
        N_("bonus capped"),
        N_("The bonus exceeded the cap of the rules: the cap was used."),
    ),
    "penalty_capped": (
        N_("penalty capped"),
        N_("The penalty exceeded the cap of the rules: the cap was used."),
    ),
    "ci_overlaps_neighbour": (
        N_("CI overlaps a neighbour"),
        N_(
            "The 95% confidence interval overlaps that of a unit ranked next to it: "
            "the data do not settle the order of the two."
        ),
    ),
}

#: Names of unit kinds whose stored names are only their code (as units.csv creates them).
KIND_FALLBACK = {
    "cuc": ("Cục", "departments (Cục)"),
    "vu": ("Vụ và tương đương", "apparatus units (Vụ and equivalent)"),
}

#: Names of the usual respondent groups; other codes are shown as they are.
GROUP_NAMES = {
    "leader": N_("Leaders"),
    "official": N_("Civil servants"),
    "citizen": N_("Citizens"),
    "organisation": N_("Organisations"),
    "province": N_("Provincial departments"),
}


def fmt(value: float | int | None, lang: str, digits: int = 2, *, sign: bool = False) -> str:
    """``79.554`` → ``"79,55"`` (vi) or ``"79.55"`` (en); None → a dash (core/numbers.py)."""
    if sign:
        return numbers.signed(value, lang, digits)
    return numbers.number(value, lang, digits)


def flag_label(flag: str, lang: str | None = None) -> str:
    return _(FLAGS.get(flag, (flag, ""))[0], lang)


def flag_text(flag: str) -> str:
    return _(FLAGS.get(flag, ("", flag))[1])


def legend(flags: set[str]) -> list[tuple[str, str, str]]:
    """(flag, short label, explanation) of the flags that occur, in a stable order."""
    return [(f, flag_label(f), flag_text(f)) for f in FLAGS if f in flags] + [
        (f, f, f) for f in sorted(flags - set(FLAGS))
    ]


def kind_name(kind, lang: str) -> str:
    """A unit kind's name; the built-in names where the stored one is only the code."""
    name = kind.name_en if lang == "en" else kind.name_vi
    if name == kind.code and kind.code in KIND_FALLBACK:
        vi, en = KIND_FALLBACK[kind.code]
        return en if lang == "en" else vi
    return name


def group_name(code: str, lang: str | None = None) -> str:
    return _(GROUP_NAMES[code], lang) if code in GROUP_NAMES else code


#: The stages of a computation run, as its timings name them.
STAGE_NAMES = {
    "load": N_("reading data"),
    "map": N_("computing per unit"),
    "reduce": N_("combining"),
}


def stage_name(stage: str) -> str:
    return _(STAGE_NAMES[stage]) if stage in STAGE_NAMES else stage


def source_name(source: str, lang: str | None = None) -> str:
    return _("self-assessed", lang) if source == "self" else _("survey", lang)
