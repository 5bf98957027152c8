"""The respondent's form, built at run time from the questionnaire (like Indico's
``make_survey_form``): one radio group per item of one section.

It is the one form on the hot path of a survey, so it is a small class of our own rather
than a WTForms class built per request (that cost more than the submit transaction). It
checks what a WTForms ``RadioField(coerce=int)`` would: a value must be one of the item's
levels, and a required item must be answered. CSRF is checked for every POST by
``CSRFProtect`` before the view runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survey_app.i18n import gettext as _
from survey_app.respond.structure import FormItem

#: Shown when a required item is left empty (Vietnamese in ``i18n/vi/respond.json``).
REQUIRED_MESSAGE = "Please choose an answer."
#: Shown when a posted value is not one of the item's levels (``i18n/vi/core.json``).
CHOICE_MESSAGE = "Not a valid choice."


@dataclass
class RadioGroup:
    """One item's answer on the page, and what is wrong with it."""

    data: int | None = None
    errors: list[str] = field(default_factory=list)


class SectionForm:
    """The answers of one page: ``form[code].data``, ``form[code].errors``, ``form.errors``."""

    def __init__(self, items: list[FormItem], data: dict[str, int] | None = None) -> None:
        data = data or {}
        self.items = items
        self.groups = {i.code: RadioGroup(data.get(i.code)) for i in items}

    def __getitem__(self, code: str) -> RadioGroup:
        return self.groups[code]

    @property
    def errors(self) -> dict[str, list[str]]:
        return {code: g.errors for code, g in self.groups.items() if g.errors}

    def validate(self, formdata, lang: str, required: set[str] = frozenset()) -> bool:
        """Read this page's answers from ``formdata``; those in ``required`` must be given."""
        for item in self.items:
            group, raw = self.groups[item.code], formdata.get(item.code, "")
            value = _as_int(raw)
            if value is not None and value in item.values():
                group.data = value
            elif raw != "":
                group.errors.append(_(CHOICE_MESSAGE, lang=lang))
            elif item.code in required:
                group.errors.append(_(REQUIRED_MESSAGE, lang=lang))
        return not self.errors


def make_section_form(items: list[FormItem], data: dict[str, int] | None = None) -> SectionForm:
    return SectionForm(items, data)


def raw_answers(formdata, items: list[FormItem]) -> dict[str, int]:
    """This page's answers read straight from the request, before validation, to decide
    which conditional items apply (values off the scale are left out)."""
    out = {}
    for item in items:
        value = _as_int(formdata.get(item.code, ""))
        if value is not None and value in item.values():
            out[item.code] = value
    return out


def _as_int(raw: str) -> int | None:
    raw = raw.strip()
    if raw.lstrip("-").isdecimal() and len(raw) < 12:  # "²" is a digit but not decimal
        return int(raw)
    return None
