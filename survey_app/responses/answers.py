"""Checking a whole set of answers against the form: conditions, scales, required items."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.responses.structure import FormSpec


@dataclass(frozen=True)
class Checked:
    """Answers to store (items that apply, values on their scale) and, if incomplete,
    the first section with a required item left empty; ``unanswered``: the questions
    that apply and were left empty (required or not), in order."""

    answers: dict[str, int]
    incomplete_section: int | None
    unanswered: tuple[str, ...] = ()


def check_answers(spec: FormSpec, given: dict[str, int]) -> Checked:
    """Drop answers to items that do not apply, and find required items left empty."""
    kept: dict[str, int] = {}
    incomplete = None
    unanswered = []
    for index, section in enumerate(spec.sections):
        for item in section.items:
            if item.kind == "note" or not spec.is_shown(item, kept):
                continue
            value = given.get(item.code)
            if item.accepts(value):
                kept[item.code] = value
                continue
            unanswered.append(item.code)
            if item.is_required and incomplete is None:
                incomplete = index
    return Checked(kept, incomplete, tuple(unanswered))


def merge(saved: dict | None, posted: dict[str, int]) -> dict[str, int]:
    """Saved answers (JSON keys are text) overlaid by this page's answers. Values are as
    JSON holds them (numbers, texts, lists); :func:`check_answers` keeps only valid ones."""
    merged = {str(k): v for k, v in (saved or {}).items()}
    merged.update(posted)
    return merged
