"""Sampling frame CSV (``stratum,population``)."""

from __future__ import annotations

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector

COLUMNS = ("stratum", "population")


def parse_frame(text: str, name: str) -> dict[str, float]:
    """Stratum → population; every stratum once, every population a positive number."""
    c = Collector()
    frame: dict[str, float] = {}
    for number, row in read_rows(text, name, COLUMNS):
        check_width(c, number, row)
        at = f"row {number}"
        try:
            population = float(row["population"])
        except ValueError:
            c.add(at, "population '{population}' is not a number", population=row["population"])
            continue
        if not row["stratum"]:
            c.add(at, "empty stratum")
        elif row["stratum"] in frame:
            c.add(at, "stratum '{stratum}' is listed twice", stratum=row["stratum"])
        elif population <= 0:
            c.add(at, "population must be positive")
        else:
            frame[row["stratum"]] = population
    if not frame and not c.problems:
        c.add("row 2", "the frame has no strata")
    c.raise_if_any(name)
    return frame
