"""Numbers as people read them: one place for points, percentages and signed differences.

Every page writes figures through these functions (Jinja filters ``points``, ``percent``,
``signed``, ``number``; results' ``fmt``), so the same figure reads the same on every screen:

- points and indexes with two decimals and the language's separators
  (vi ``79,55`` and ``1.234``; en ``79.55`` and ``1,234``);
- percentages with one decimal (``82,3%``);
- signed differences always with their sign, U+2212 for minus (``+0,25``, ``−0,25``),
  and one direction everywhere: appraised − self, this year − last year.

Rounding is half up on the decimal value people see (``2.675`` → ``2,68``), not Python's
binary rounding. Exports keep machine formats (plain floats, dot decimals) and do not come
here; they compute differences with the same direction (:func:`difference`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal

#: Shown where a figure does not exist or is withheld.
DASH = "—"
#: The minus of a signed difference (U+2212), wider and clearer than a hyphen.
MINUS = "\u2212"
#: Babel locale of each interface language.
LOCALES = {"vi": "vi", "en": "en"}


def _lang(lang: str | None) -> str:
    if lang:
        return lang
    try:
        from survey_app.i18n import get_language

        return get_language()
    except RuntimeError:  # outside a request
        return "vi"


def _rounded(value, digits: int) -> Decimal | None:
    try:
        exact = Decimal(repr(float(value))) if not isinstance(value, Decimal) else value
        return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return None


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def number(value, lang: str | None = None, digits: int = 2) -> str:
    """``79.554`` → ``"79,55"`` (vi) / ``"79.55"`` (en); an int keeps no decimals; None → —."""
    if value is None:
        return DASH
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, format="#,##0", locale=LOCALES.get(_lang(lang), "vi"))
    rounded = _rounded(value, digits)
    if rounded is None:
        return DASH
    if rounded == 0:
        rounded = abs(rounded)  # never "-0,00"
    text = format_decimal(rounded, format=_pattern(digits), locale=LOCALES.get(_lang(lang), "vi"))
    return text.replace("-", MINUS)


def typed(value, lang: str | None = None) -> str:
    """A stored number as a person types it back into a field: as few decimals as it has,
    no grouping, the language's decimal sign (vi ``2,55``, en ``2.55``); fields read both
    signs (``survey_app.assessments.rules.parse_points``)."""
    text = f"{float(value):g}"
    return text.replace(".", ",") if _lang(lang) == "vi" else text


def points(value, lang: str | None = None, digits: int = 2) -> str:
    """Points and indexes: two decimals (``2,60``, ``79,55``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return number(value, lang, digits)


def percent(value, lang: str | None = None, digits: int = 1) -> str:
    """A share given as a fraction, in percent with one decimal: ``0.8234`` → ``"82,3%"``."""
    if value is None:
        return DASH
    return number(float(value) * 100, lang, digits) + "%"


def signed(value, lang: str | None = None, digits: int = 2) -> str:
    """A difference with its sign: ``+0,25``, ``−0,25``; zero (after rounding) ``0,00``."""
    if value is None:
        return DASH
    rounded = _rounded(value, digits)
    if rounded is None:
        return DASH
    text = number(abs(rounded), lang, digits)
    if rounded > 0:
        return "+" + text
    if rounded < 0:
        return MINUS + text
    return text


def difference(appraised: float | None, self_points: float | None) -> float | None:
    """The one direction of a points difference: appraised − self (None until both exist)."""
    if appraised is None or self_points is None:
        return None
    return appraised - self_points


def init_app(app) -> None:
    """Register app-wide filters: ``x|points``, ``share|percent``, ``change|signed``."""
    app.jinja_env.filters["number"] = lambda v, digits=2: number(v, digits=digits)
    app.jinja_env.filters["points"] = lambda v, digits=2: points(v, digits=digits)
    app.jinja_env.filters["percent"] = lambda v, digits=1: percent(v, digits=digits)
    app.jinja_env.filters["signed"] = lambda v, digits=2: signed(v, digits=digits)
    app.jinja_env.globals["difference"] = difference
