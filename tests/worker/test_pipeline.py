"""The pipeline: a round in the database gives the figures `parindex index` gives for it."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from survey_app.demo.loader import load_demo
from survey_app.extensions import db
from survey_app.results.models import AggregationRun, UnitResult
from tests.conftest import EXAMPLES
from tests.worker.conftest import parindex_index
from worker.pipeline import aggregate_round
from worker.store import run_payload


def _close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _demo_run(app):
    with app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        run = aggregate_round(1)
        return run.id, run_payload(run)


def test_demo_round_reproduces_the_independent_expected_index(any_app):
    _, payload = _demo_run(any_app)
    expected = {
        u["unit"]: u for u in json.loads((EXAMPLES / "expected_index.json").read_text())["units"]
    }
    assert len(payload["units"]) == 21
    for row in payload["units"]:
        exp = expected[row["unit"]]
        assert _close(row["index"], exp["index"], 1e-9)
        assert _close(row["index_se"], exp["index_se"], 1e-6)  # CSV weights carry 6 decimals
        assert row["rank"] == exp["rank"]


def test_rerun_on_same_inputs_returns_the_same_run_without_new_rows(sqlite_app):
    run_id, _ = _demo_run(sqlite_app)
    with sqlite_app.app_context():
        again = aggregate_round(1)
        assert again.id == run_id
        assert db.session.scalar(select(func.count()).select_from(AggregationRun)) == 1
        assert db.session.scalar(select(func.count()).select_from(UnitResult)) == 21


def test_pipeline_equals_parindex_index_on_the_same_inputs(sqlite_app, tmp_path):
    _, payload = _demo_run(sqlite_app)
    out = tmp_path / "index.json"
    result = parindex_index(EXAMPLES / "responses.csv", out)
    assert result.exit_code == 0, result.output
    cli = {(s["unit"], s["subcriterion"]): s for s in json.loads(out.read_text())["subcriteria"]}
    for row in payload["subcriteria"]:
        assert _close(row["points"], cli[(row["unit"], row["subcriterion"])]["points"], 1e-9)


def test_many_small_chunks_give_the_same_figures_as_one(sqlite_app):
    with sqlite_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        one = run_payload(aggregate_round(1, chunk_size=100_000))
        db.session.query(UnitResult).delete()
        db.session.query(AggregationRun).delete()
        db.session.commit()
        many = aggregate_round(1, chunk_size=37)
        assert many.chunks_total == 15 and many.chunks_done == 15
        split = run_payload(many)
    for a, b in zip(one["units"], split["units"], strict=True):
        assert a["unit"] == b["unit"] and a["rank"] == b["rank"]
        assert (a["rank_low"], a["rank_high"]) == (b["rank_low"], b["rank_high"])
        for key in ("index", "index_se", "survey_points", "survey_se"):
            assert _close(a[key], b[key])
