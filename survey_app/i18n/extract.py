"""The keywords under which messages are extracted, besides Babel's own (``_``, ``gettext``,
``ngettext``, ``pgettext``, ``N_`` …): file problems and notices, spreadsheet column titles
and form field labels. `make messages` passes them to ``pybabel extract -F babel.cfg`` (this
module prints them as ``-k`` options) and tests/foundation/test_translations.py uses them.
"""

from __future__ import annotations

FIELDS = (
    "BooleanField DateTimeLocalField EmailField FileField MultiCheckboxField PasswordField "
    "PointsField RadioField SelectField SelectMultipleField StringField TextAreaField"
).split()

#: name → the positions (1-based) of the message among the call's arguments
KEYWORDS: dict[str, tuple[int, ...]] = {
    "add": (2,),  # Collector.add(where, message, **params)
    "note": (2,),  # the XLSForm reader's notices
    "Problem": (2,),
    "_invalid": (3,),
    "Column": (2,),  # results export columns: Column(key, title, …)
} | dict.fromkeys(FIELDS, (1,))


def pybabel_options() -> str:
    return " ".join(f"-k {name}:{','.join(map(str, spec))}" for name, spec in KEYWORDS.items())


if __name__ == "__main__":
    print(pybabel_options())
