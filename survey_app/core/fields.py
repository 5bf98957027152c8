"""Form fields shared by every feature.

:class:`LocalDateTimeField` replaces ``datetime-local`` inputs, which a browser shows in
its own locale (``mm/dd/yyyy`` in an en-US Chromium): a text input that reads and shows
``dd/mm/yyyy HH:mm`` in the ministry's time zone (``PARINDEX_TIMEZONE``), and also takes
ISO 8601 (``2026-12-31T17:00``, what scripts and the old field posted).
"""

from __future__ import annotations

import datetime as dt
import re

from wtforms import Field
from wtforms.widgets import TextInput

from survey_app.core.times import from_local, local_zone, to_local, zone_label

#: How the field writes a time (and the example in its hint).
DISPLAY_FORMAT = "%d/%m/%Y %H:%M"
_DAY_FIRST = re.compile(
    r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"
    r"(?:[\sT,]+(?P<H>\d{1,2})\s*[:hH.]\s*(?P<M>\d{2})?)\s*$"
)
_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::\d{2})?\s*$"
)


def parse_local(text: str) -> dt.datetime | None:
    """``31/12/2026 17:00``, ``31/12/2026 17h``, ``2026-12-31T17:00`` → a naive local time."""
    text = (text or "").strip()
    match = _DAY_FIRST.match(text) or _ISO.match(text)
    if not match:
        return None
    parts = match.groupdict()
    try:
        return dt.datetime(
            int(parts["y"]), int(parts["m"]), int(parts["d"]), int(parts["H"]), int(parts["M"] or 0)
        )
    except ValueError:  # 31/02, 25:00
        return None


def example_time() -> str:
    """A week from now at 17:00, written as the field wants it."""
    day = dt.datetime.now(local_zone()).date() + dt.timedelta(days=7)
    return dt.datetime.combine(day, dt.time(17, 0)).strftime(DISPLAY_FORMAT)


class LocalDateTimeField(Field):
    """A date and time typed in the ministry's zone; ``data`` is an aware UTC datetime.

    Shows ``dd/mm/yyyy HH:mm`` local time; what was typed is shown again when it is wrong.
    ``format_hint`` and ``zone`` are picked up by the ``field`` macro of ``_forms.html``.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"autocomplete": "off", "spellcheck": "false", "class": "datetime"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    @property
    def format_hint(self) -> str:
        """How to type the value; the ``field`` macro adds :attr:`zone` unless its hint has it."""
        return self.gettext("Day/month/year hour:minute, e.g. {example}").format(
            example=example_time()
        )

    @property
    def zone(self) -> str:
        """``UTC+7``: the offset of the ministry's zone now."""
        return zone_label(to_local(dt.datetime.now(dt.UTC)))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return to_local(self.data).strftime(DISPLAY_FORMAT) if self.data else ""

    def process_data(self, value) -> None:
        self.data = from_local(value) if isinstance(value, dt.datetime) and value.tzinfo else value
        if isinstance(self.data, dt.datetime) and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=dt.UTC)  # stored times are UTC

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        local = parse_local(valuelist[0])
        if local is None:
            self.data = None
            raise ValueError(
                self.gettext(
                    "Write the date and time as day/month/year hour:minute, e.g. {example}."
                ).format(example=example_time())
            )
        self.data = from_local(local)
