"""The summary of a unit kind as a ministry would announce it, in Vietnamese or English.

Every figure comes from the stored summary of the run (FORMATS.md ``summary[]``) and
is written to two decimals, with a decimal comma in Vietnamese.
"""

from __future__ import annotations

from typing import Any

from survey_app.i18n import gettext
from survey_app.results.presentation import fmt, kind_name
from survey_app.results.tables import KindBlock


def announcement(block: KindBlock, lang: str) -> list[str]:
    """The sentences announcing ``block``'s summary in ``lang``; empty without a summary."""
    s = block.summary
    if not s:
        return []
    names = {line.unit.code: line.unit.name(lang) for line in block.lines}
    kind = kind_name(block.kind, lang)
    sentences = [_level(s, names, kind, lang), _change(s, lang), _at_least_80(s, lang)]
    sentences += [_fell(s, names, lang), _ministry(s, kind, lang)]
    return [text for text in sentences if text]


def _level(s: dict[str, Any], names: dict[str, str], kind: str, lang: str) -> str:
    return gettext(
        "{n} {kind}: mean index {mean}%; highest {max}% ({max_unit}), lowest {min}% "
        "({min_unit}); the gap between the highest and the lowest is {gap} percentage points.",
        lang=lang,
        n=s["n_units"],
        kind=kind,
        mean=fmt(s["mean"], lang),
        max=fmt(s["max"], lang),
        max_unit=names.get(s["max_unit"], s["max_unit"]),
        min=fmt(s["min"], lang),
        min_unit=names.get(s["min_unit"], s["min_unit"]),
        gap=fmt(s["gap"], lang),
    )


def _change(s: dict[str, Any], lang: str) -> str | None:
    change = s.get("mean_change")
    if change is None:
        return None
    previous = fmt(s["previous_mean"], lang)
    if round(change, 2) == 0:
        return gettext(
            "The mean is unchanged on the previous year ({previous}%).", lang, previous=previous
        )
    message = (
        "The mean rose {change} percentage points on the previous year ({previous}%)."
        if change > 0
        else "The mean fell {change} percentage points on the previous year ({previous}%)."
    )
    return gettext(message, lang, change=fmt(abs(change), lang), previous=previous)


def _at_least_80(s: dict[str, Any], lang: str) -> str:
    return gettext(
        "{count} of {n} units ({share}%) are at or above 80%.",
        lang,
        count=s["n_at_least_80"],
        n=s["n_units"],
        share=fmt(s["share_at_least_80"], lang, 1),  # a share: one decimal (UI.md)
    )


def _fell(s: dict[str, Any], names: dict[str, str], lang: str) -> str | None:
    if s.get("previous_mean") is None:
        return None
    if not s["fell"]:
        return gettext("No unit's index fell.", lang)
    items = [
        gettext(
            "{unit} (down {change} points)",
            lang,
            unit=names.get(f["unit"], f["unit"]),
            change=fmt(abs(f["change"]), lang),
        )
        for f in s["fell"]
    ]
    return gettext("Units whose index fell: {units}.", lang, units="; ".join(items))


def _ministry(s: dict[str, Any], kind: str, lang: str) -> str | None:
    if s.get("ministry_index") is None:
        return None
    return gettext(
        "The mean of the {kind}, {mean}%, against the ministry's own index of {ministry}%.",
        lang,
        kind=kind,
        mean=fmt(s["mean"], lang),
        ministry=fmt(s["ministry_index"], lang),
    )
