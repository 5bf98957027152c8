"""The respondent's form, built at run time from the questionnaire with WTForms (like
Indico's ``make_survey_form``): one radio group per item of one section.

Building a form class is what costs on the hot path of a survey, so classes are cached
per page (items), language and set of required items: questionnaires never change once
imported. Each request only instantiates the cached class. CSRF is checked for every POST
by ``CSRFProtect`` before the view runs, so the form itself carries no token.
"""

from __future__ import annotations

from functools import lru_cache

from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired, Optional

from survey_app.accounts.forms import I18nForm
from survey_app.i18n import gettext as _
from survey_app.respond.structure import FormItem

#: Shown when a required item is left empty (Vietnamese in ``i18n/vi/respond.json``).
REQUIRED_MESSAGE = "Please choose an answer."


def make_section_form(
    items: list[FormItem],
    lang: str,
    *,
    required: frozenset[str] = frozenset(),
    formdata=None,
    data: dict[str, int] | None = None,
) -> I18nForm:
    """The form of one page: ``formdata`` (a POST) or saved ``data`` (a GET)."""
    cls = _form_class(tuple(items), lang, frozenset(required))
    return cls(formdata=formdata, data=data or {})


@lru_cache(maxsize=2048)
def _form_class(items: tuple[FormItem, ...], lang: str, required: frozenset[str]) -> type:
    class SectionForm(I18nForm):
        class Meta:
            csrf = False  # checked by CSRFProtect for every POST

    for item in items:
        setattr(SectionForm, item.code, _radio(item, lang, item.code in required))
    return SectionForm


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


def plainly_valid(
    formdata, items: list[FormItem], required: frozenset[str], posted: dict[str, int]
) -> bool:
    """True only when the section form would certainly validate: every answer given is
    one that :func:`raw_answers` read as on its item's scale (``posted``), and every
    required item is answered.

    Most posts are like that, and the section form's 12-odd radio fields cost more to
    bind and validate than the rest of the request; any post this does not vouch for
    (an empty required item, a value off the scale, ``+3``) is validated by the form,
    whose messages the page shows. ``tests/hardening/test_property.py`` checks that this
    never vouches for a post the form refuses.
    """
    for item in items:
        if formdata.get(item.code, "") == "":
            if item.code in required:
                return False
        elif item.code not in posted:
            return False
    return True


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
