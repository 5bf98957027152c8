"""Times as people read them: stored in UTC, shown and typed in the ministry's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def zone_or_none(name: str) -> ZoneInfo | None:
    """The IANA zone ``name``, or None when it is unknown (for config validation)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_zone() -> ZoneInfo:
    """The configured ``PARINDEX_TIMEZONE`` (default Asia/Ho_Chi_Minh)."""
    return ZoneInfo(current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE))


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored (UTC) time in the local zone; naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(local_zone())


def from_local(value: dt.datetime | None) -> dt.datetime | None:
    """A time typed in the local zone (naive, as a ``datetime-local`` field gives it), in UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(dt.UTC)


def zone_label(value: dt.datetime) -> str:
    """``UTC+7`` for the zone of a local time (minutes only when there are some)."""
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_datetime(value: dt.datetime | None, zone: bool = True) -> str:
    """``02/12/2026 16:30 (UTC+7)``: day first, as Vietnamese and British readers expect."""
    if value is None:
        return "—"
    local = to_local(value)
    text = local.strftime("%d/%m/%Y %H:%M")
    return f"{text} ({zone_label(local)})" if zone else text


def format_date(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def input_value(value: dt.datetime | None) -> str:
    """The value of a ``datetime-local`` input for a stored time."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def init_app(app) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
