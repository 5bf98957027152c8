"""Population margins CSV (``variable,level,count``): the round's weighting variables."""

from __future__ import annotations

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector
from survey_app.formats.respondents import COLUMNS as LIST_COLUMNS

COLUMNS = ("variable", "level", "count")


def parse_margins(text: str, name: str) -> dict[str, dict[str, float]]:
    """Variable → level → population count; each (variable, level) once, counts positive.

    The variables are the only extra columns a respondent list of the round may carry.
    """
    c = Collector()
    margins: dict[str, dict[str, float]] = {}
    for number, row in read_rows(text, name, COLUMNS):
        check_width(c, number, row)
        at, variable, level = f"row {number}", row["variable"], row["level"]
        try:
            count = float(row["count"])
        except ValueError:
            c.add(at, f"count '{row['count']}' is not a number")
            continue
        if not variable or not level:
            c.add(at, "empty variable or level")
        elif variable in LIST_COLUMNS:
            c.add(at, f"'{variable}' is a fixed column of respondent lists, not a weighting one")
        elif level in margins.get(variable, {}):
            c.add(at, f"{variable} = {level} is listed twice")
        elif count <= 0:
            c.add(at, "count must be positive")
        else:
            margins.setdefault(variable, {})[level] = count
    if not margins and not c.problems:
        c.add("row 2", "the file has no margins")
    c.raise_if_any(name)
    return margins
