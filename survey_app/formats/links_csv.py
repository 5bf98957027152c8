"""Links file (``email,name,group,unit,link``) for chat apps, paper letters, mail merge."""

from __future__ import annotations

import csv
import io

from survey_app.formats.safe_cells import safe_cell

COLUMNS = ("email", "name", "group", "unit", "link")


def links_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()
