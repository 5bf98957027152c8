"""The respondent's form, built at run time from the questionnaire (like Indico's
``make_survey_form``): one radio group per item of one section."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired, Optional

from survey_app.accounts.forms import I18nForm
from survey_app.i18n import gettext as _
from survey_app.respond.structure import FormItem

#: Shown when a required item is left empty (Vietnamese in ``i18n/vi/respond.json``).
REQUIRED_MESSAGE = "Please choose an answer."


def make_section_form(
    items: list[FormItem], lang: str, required: set[str] = frozenset(), **kwargs
) -> I18nForm:
    """A form for the ``items`` of one page; those in ``required`` must be answered (the
    required items that apply, on next and submit; none on save and back)."""

    class SectionForm(I18nForm):
        pass

    for item in items:
        setattr(SectionForm, item.code, _radio(item, lang, item.code in required))
    return SectionForm(**kwargs)


def _radio(item: FormItem, lang: str, require: bool) -> RadioField:
    validators = (
        [InputRequired(message=_(REQUIRED_MESSAGE, lang=lang))] if require else [Optional()]
    )
    return RadioField(
        item.text(lang),
        choices=[SelectChoice(lv.value, lv.label(lang)) for lv in item.levels],
        coerce=int,
        validators=validators,
    )


def raw_answers(formdata, items: list[FormItem]) -> dict[str, int]:
    """This page's answers read straight from the request, before validation, to decide
    which conditional items apply (values off the scale are left out)."""
    out = {}
    for item in items:
        raw = formdata.get(item.code, "")
        if raw.lstrip("-").isdigit() and int(raw) in item.values():
            out[item.code] = int(raw)
    return out
