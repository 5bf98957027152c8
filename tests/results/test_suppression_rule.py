"""The complementary suppression rule on hand-made rows (no run needed)."""

from __future__ import annotations

from types import SimpleNamespace as NS

from survey_app.results.suppression import public_rows


def _cs(*areas) -> NS:
    return NS(
        min_group_respondents=3,
        areas=[
            NS(
                code=code,
                criteria=[NS(subcriteria=[NS(code=c, source=s, max_points=m) for c, s, m in subs])],
            )
            for code, subs in areas
        ],
    )


def _row(source: str, points: float, **groups) -> dict:
    return {
        "source": source,
        "points": points,
        "se": 0.1,
        "ci_low": points - 0.2,
        "ci_high": points + 0.2,
        "groups": {g: {"n": n, "mean": m, "se": 0.01} for g, (n, m) in groups.items()} or None,
        "flags": [],
    }


def test_a_small_group_withholds_its_row_and_a_second_row_of_the_area(sqlite_app):
    cs = _cs(
        (
            "A",
            [
                ("S1", "self", 2.0),
                ("V1", "survey", 1.0),
                ("V2", "survey", 0.5),
                ("V3", "survey", 2.0),
            ],
        )
    )
    rows = {
        "S1": _row("self", 1.5),
        "V1": _row("survey", 0.8, leader=(2, 0.9), official=(40, 0.75)),
        "V2": _row("survey", 0.4, leader=(9, 0.8), official=(40, 0.8)),
        "V3": _row("survey", 1.6, leader=(9, 0.8), official=(40, 0.8)),
    }
    with sqlite_app.app_context():  # PARINDEX_MIN_CELL_SIZE 5 beats the set's 3
        shown = public_rows(rows, cs)
    v1, v2, v3 = shown["V1"], shown["V2"], shown["V3"]
    assert v1["points"] is v1["ci_low"] is v1["se"] is None and v1["suppressed"]
    assert v1["groups"] == {
        "leader": {"n": None, "mean": None, "se": None, "suppressed": True},
        "official": {"n": 40, "mean": None, "se": None, "suppressed": True},
    }
    assert v2["points"] is None and v2["groups"]["leader"]["n"] == 9  # fewest max points
    assert v3 == rows["V3"] and shown["S1"] == rows["S1"]


def test_an_area_with_two_withheld_rows_needs_no_third(sqlite_app):
    cs = _cs(("A", [("V1", "survey", 1.0), ("V2", "survey", 1.0), ("V3", "survey", 1.0)]))
    rows = {
        "V1": _row("survey", 0.8, leader=(1, 0.9), official=(40, 0.75)),
        "V2": _row("survey", 0.7, leader=(4, 0.6), official=(40, 0.7)),
        "V3": _row("survey", 0.6, leader=(9, 0.6), official=(40, 0.6)),
    }
    with sqlite_app.app_context():
        shown = public_rows(rows, cs)
    assert [shown[c].get("suppressed", False) for c in ("V1", "V2", "V3")] == [True, True, False]


def test_without_a_small_group_nothing_is_withheld(sqlite_app):
    cs = _cs(("A", [("V1", "survey", 1.0)]))
    rows = {"V1": _row("survey", 0.8, leader=(5, 0.9), official=(0, None))}
    with sqlite_app.app_context():
        assert public_rows(rows, cs) == rows
