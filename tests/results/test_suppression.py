"""Suppression that survives arithmetic: a hidden group figure cannot be recomputed from
everything the public gets (API JSON, CSV and XLSX downloads, scorecard pages)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from openpyxl import load_workbook

from survey_app.extensions import db
from survey_app.results.queries import criteria_sets_by_kind
from survey_app.rounds.models import Round
from tests.results.conftest import publish_demo, sign_in

EXACT = 1e-6


def _number(value):
    if value in (None, ""):
        return None
    return float(value)


def _public_knowledge(app) -> dict:
    """Every figure the public can download, merged: (unit, sub) → known values."""
    client = sign_in(app, None)
    doc = client.get("/api/v1/rounds/1/results").get_json()
    subs: dict[tuple, dict] = defaultdict(lambda: {"points": None, "groups": {}, "ns": {}})

    def learn(unit, sub, points, groups: dict):
        known = subs[(unit, sub)]
        known["points"] = known["points"] if points is None else points
        for g, (n, mean) in groups.items():
            if mean is not None:
                known["groups"][g] = mean
            if n is not None:
                known["ns"][g] = n

    for row in doc["subcriteria"]:
        points = row["points"]
        if points is None and row["ci_low"] is not None and row["ci_high"] is not None:
            points = (row["ci_low"] + row["ci_high"]) / 2  # the CI is centred on the points
        groups = {g: (e["n"], e["mean"]) for g, e in (row["groups"] or {}).items()}
        learn(row["unit"], row["subcriterion"], points, groups)
    csv_text = client.get("/results/1/scorecards.csv").data.decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(csv_text)):
        groups = {
            k[: -len("_mean")]: (_number(row[k[: -len("_mean")] + "_n"]), _number(row[k]))
            for k in row
            if k.endswith("_mean")
        }
        learn(row["unit"], row["subcriterion"], _number(row["points"]), groups)
    book = load_workbook(io.BytesIO(client.get("/results/1/ranking.xlsx?lang=en").data))
    sheet = book["Scorecards"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and "Sub-criterion" in r)
    header = rows[header_at]
    for values in rows[header_at + 1 :]:
        row = dict(zip(header, values, strict=False))
        if not row.get("Unit code"):
            continue
        groups = {
            title.split(":")[0]: (row.get(title.split(":")[0] + ": n"), row[title])
            for title in header
            if title and title.endswith(": mean score (0–1)")
        }
        learn(row["Unit code"], row["Sub-criterion"], _number(row["Points"]), groups)
    return {"units": {u["unit"]: u for u in doc["units"]}, "subs": subs}


def _recompute(app, public: dict, truth: dict) -> list[tuple]:
    """Hidden group means of small groups that come out of the public figures exactly:
    published as such, or solved from the points (published, or from the area's component
    index minus the other published points) and the other groups' published means."""
    with app.app_context():
        sets = criteria_sets_by_kind(db.session.get(Round, 1))
        structure = {
            kind: (
                {g.group_code: g.weight for g in cs.group_weights},
                [
                    (
                        area.code,
                        [(s.code, s.max_points) for c in area.criteria for s in c.subcriteria],
                    )
                    for area in cs.areas
                ],
            )
            for kind, cs in sets.items()
        }
    points = {key: known["points"] for key, known in public["subs"].items()}
    for unit, row in public["units"].items():
        weights, areas = structure[row["kind"]]
        for code, subs in areas:
            present = [(s, m) for s, m in subs if (unit, s) in public["subs"]]
            hidden = [s for s, _m in present if points[(unit, s)] is None]
            if len(hidden) == 1 and row["areas"].get(code) is not None:
                total = row["areas"][code] * sum(m for _s, m in present) / 100
                points[(unit, hidden[0])] = total - sum(
                    points[(unit, s)] for s, _m in present if s != hidden[0]
                )
    recovered = []
    for (unit, sub), true_row in truth.items():
        weights, _areas = structure[public["units"][unit]["kind"]]
        known = public["subs"][(unit, sub)]
        answered = {g: e for g, e in (true_row["groups"] or {}).items() if e["n"] > 0}
        for g, est in answered.items():
            if est["n"] >= 5:
                continue  # not a small group
            if g in known["groups"]:
                recovered.append((unit, sub, g, "published"))
                continue
            others = [h for h in answered if h != g]
            if points[(unit, sub)] is None or any(h not in known["groups"] for h in others):
                continue
            alpha = sum(weights[h] for h in answered)
            rest = sum(weights[h] / alpha * known["groups"][h] for h in others)
            solved = (points[(unit, sub)] / true_row["max_points"] - rest) / (weights[g] / alpha)
            if abs(solved - est["mean"]) < EXACT:
                recovered.append((unit, sub, g, "solved"))
    return recovered


def _truth(app) -> dict:
    staff = sign_in(app, "viewer").get("/api/v1/rounds/1/results").get_json()
    return {
        (r["unit"], r["subcriterion"]): r for r in staff["subcriteria"] if r["source"] == "survey"
    }


def test_no_hidden_group_mean_can_be_recomputed_from_everything_public(demo_app):
    publish_demo(demo_app)
    truth = _truth(demo_app)
    small = [
        (k, g) for k, r in truth.items() for g, e in (r["groups"] or {}).items() if 0 < e["n"] < 5
    ]
    assert len(small) >= 5  # the demo has small groups to protect
    public = _public_knowledge(demo_app)
    assert _recompute(demo_app, public, truth) == []


def test_the_attack_recovers_means_that_are_only_hidden_themselves(demo_app):
    """The same arithmetic against the old rule (only the small group's mean and SE
    hidden): it recovers the hidden means, so the test above can fail."""
    publish_demo(demo_app)
    truth = _truth(demo_app)
    public = _public_knowledge(demo_app)
    for (unit, sub), row in truth.items():
        known = public["subs"][(unit, sub)]
        known["points"] = row["points"]
        known["groups"] = {g: e["mean"] for g, e in (row["groups"] or {}).items() if e["n"] >= 5}
    recovered = _recompute(demo_app, public, truth)
    assert len(recovered) >= 5 and {how for *_k, how in recovered} == {"solved"}


def test_no_n_below_the_minimum_is_published(demo_app):
    publish_demo(demo_app)
    public = _public_knowledge(demo_app)
    ns = [n for known in public["subs"].values() for n in known["ns"].values()]
    assert ns and all(n == 0 or n >= 5 for n in ns)


def test_the_scorecard_pages_show_no_figure_of_a_withheld_row(demo_app):
    publish_demo(demo_app)
    truth = _truth(demo_app)
    doc = sign_in(demo_app, None).get("/api/v1/rounds/1/results").get_json()
    withheld = [(r["unit"], r["subcriterion"]) for r in doc["subcriteria"] if r.get("suppressed")]
    assert withheld
    client = sign_in(demo_app, None)
    for unit, sub in withheld:
        page = client.get(f"/results/1/units/{unit}?lang=en").text
        row = page.split(f'<span class="code">{sub}</span>')[-1].split("</tr>")[0]
        true_row = truth[(unit, sub)]
        assert f"{true_row['points']:.2f}" not in row
        for est in (true_row["groups"] or {}).values():
            if est["mean"] is not None:
                assert f"{est['mean'] * 100:.2f}" not in row
