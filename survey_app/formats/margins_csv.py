"""Population margins CSV for raking (``variable,level,count``)."""

from __future__ import annotations

from survey_app.formats.csvfile import check_width, read_rows
from survey_app.formats.problems import Collector
from survey_app.formats.respondents import COLUMNS as LIST_COLUMNS

COLUMNS = ("variable", "level", "count")


def parse_margins(text: str, name: str) -> dict[str, dict[str, float]]:
    """Variable → level → population count; each (variable, level) once, counts positive.

    A variable is a categorical question of the questionnaire (its levels are the choice
    names, such as ``female``) or an extra column of the respondent list (checked when the
    round is created, see ``rounds.operations.check_margins``); these are the only extra
    columns a respondent list of the round may carry (anonymity)."""
    c = Collector()
    margins: dict[str, dict[str, float]] = {}
    for number, row in read_rows(text, name, COLUMNS):
        check_width(c, number, row)
        at = f"row {number}"
        variable, level = row["variable"].strip(), row["level"].strip()
        try:
            count = float(row["count"])
        except ValueError:
            c.add(at, f"count '{row['count']}' is not a number")
            continue
        if not variable or not level:
            c.add(at, "empty variable or level")
        elif variable in LIST_COLUMNS:
            c.add(at, f"'{variable}' is a fixed column of respondent lists, not a weighting one")
        elif len(variable) > 64 or len(level) > 64:
            c.add(at, "a variable or level is longer than 64 characters")
        elif level in margins.get(variable, {}):
            c.add(at, f"{variable} = '{level}' is listed twice")
        elif not count > 0 or count == float("inf"):
            c.add(at, "count must be a positive number")
        else:
            margins.setdefault(variable, {})[level] = count
    if not margins and not c.problems:
        c.add("row 2", "the file has no margins")
    c.raise_if_any(name)
    return margins
