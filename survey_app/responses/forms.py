"""The respondent's form, built at run time from the questionnaire with WTForms (like
Indico's ``make_survey_form``): one radio group per item of one section.

A class is built per request (caching classes per page and language bought nothing
measurable: issue 16, docs/SECURITY.md). CSRF is checked for every POST by
``CSRFProtect`` before the view runs, so the form itself carries no token.
"""

from __future__ import annotations

from wtforms import (
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Optional

from survey_app.accounts.forms import I18nForm
from survey_app.i18n import gettext as _
from survey_app.responses.structure import TEXT_LIMIT, FormItem

#: Shown when a required item is left empty (Vietnamese in ``i18n/vi/respond.json``).
REQUIRED_MESSAGE = "Please choose an answer."
#: The same for an item answered by typing (Vietnamese in ``i18n/vi/xlsform.json``).
ANSWER_MESSAGE = "Please answer this question."


def make_section_form(
    items: list[FormItem],
    lang: str,
    *,
    required: frozenset[str] = frozenset(),
    formdata=None,
    data: dict[str, int] | None = None,
) -> I18nForm:
    """The form of one page: ``formdata`` (a POST) or saved ``data`` (a GET)."""
    cls = _form_class(items, lang, frozenset(required))
    return cls(formdata=formdata, data=data or {})


def _form_class(items: list[FormItem], lang: str, required: frozenset[str]) -> type:
    class SectionForm(I18nForm):
        class Meta:
            csrf = False  # checked by CSRFProtect for every POST

    for item in items:
        if item.kind != "note":
            setattr(SectionForm, item.code, _field(item, lang, item.code in required))
    return SectionForm


def _field(item: FormItem, lang: str, require: bool):
    """A radio group (scale, choice), checkboxes (multiple), or a text field read by
    :meth:`FormItem.read`, so the form refuses exactly what ``raw_answers`` leaves out."""
    message = REQUIRED_MESSAGE if item.kind in ("scale", "choice", "multiple") else ANSWER_MESSAGE
    validators = [InputRequired(message=_(message, lang=lang))] if require else [Optional()]
    choices = [SelectChoice(lv.value, lv.label(lang)) for lv in item.levels]
    if item.kind in ("scale", "choice"):
        return RadioField(item.text(lang), choices=choices, coerce=int, validators=validators)
    if item.kind == "multiple":
        return SelectMultipleField(
            item.text(lang), choices=choices, coerce=int, validators=validators
        )
    kind = TextAreaField if item.kind == "text" else StringField
    return kind(item.text(lang), validators=[*validators, _Reads(item, lang)])


class _Reads:
    """The posted text must be an answer :meth:`FormItem.read` accepts."""

    def __init__(self, item: FormItem, lang: str) -> None:
        self.item, self.lang = item, lang

    def __call__(self, form, field) -> None:
        raw = field.raw_data[0] if field.raw_data else ""
        if not raw.strip():
            raise ValidationError(_(ANSWER_MESSAGE, lang=self.lang))
        if self.item.read(raw) is None:
            raise ValidationError(invalid_message(self.item, self.lang))


def invalid_message(item: FormItem, lang: str) -> str:
    """What a valid answer to ``item`` looks like (its range, if any)."""
    if item.kind == "text":
        return _("Please write at most {n} characters.", lang=lang, n=TEXT_LIMIT)
    if item.kind == "date":
        return _("Please enter a date as dd/mm/yyyy.", lang=lang)
    if item.kind == "integer":
        text = _("Please enter a whole number.", lang=lang)
    else:
        text = _("Please enter a number.", lang=lang)
    range_text = range_hint(item, lang)
    return f"{text} {range_text}" if range_text else text


def range_hint(item: FormItem, lang: str) -> str:
    """The range of a number answer, as the page's language writes numbers (UI.md)."""

    def number(x: float) -> str:
        return f"{x:g}".replace(".", ",") if lang == "vi" else f"{x:g}"

    low, high = item.minimum, item.maximum
    if low is not None and high is not None:
        return _("From {low} to {high}.", lang=lang, low=number(low), high=number(high))
    if low is not None:
        return _("At least {low}.", lang=lang, low=number(low))
    if high is not None:
        return _("At most {high}.", lang=lang, high=number(high))
    return ""


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
        if item.kind == "note":
            continue
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
        if item.kind == "note":
            continue
        if item.kind == "multiple":
            raw = formdata.getlist(item.code) if hasattr(formdata, "getlist") else []
        else:
            raw = formdata.get(item.code, "")
        value = item.read(raw)
        if value is not None:
            out[item.code] = value
    return out
