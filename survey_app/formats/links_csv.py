"""Links file (``email,name,group,unit,link``) for chat apps, paper letters, mail merge."""

from __future__ import annotations

import csv
import io

COLUMNS = ("email", "name", "group", "unit", "link")


def links_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
