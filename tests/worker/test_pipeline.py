"""The pipeline: a round in the database gives the figures `parindex index` gives for it."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import delete, func, insert, select, update

from survey_app.demo.loader import load_demo
from survey_app.extensions import db
from survey_app.responses.models import Response
from survey_app.results.chunks import AggregationChunk
from survey_app.results.models import AggregationRun, UnitResult
from survey_app.rounds.models import Round
from tests.conftest import EXAMPLES
from tests.worker.conftest import parindex_index
from worker.loading import DESIGN, chunk_responses, id_bounds, item_scales, read_chunk
from worker.pipeline import ChunkDigest, aggregate_round
from worker.store import run_payload


def _close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _demo_run(app):
    with app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        run = aggregate_round(1)
        return run.id, run_payload(run)


def test_demo_round_reproduces_the_independent_expected_index(any_app, tmp_path):
    """The demo round has a frame: the index and ranks are those of expected_index.json
    (made without one); the SEs are the frame's fpc design, as ``parindex index --frame``
    gives them, and smaller than the PSU design's without a frame for most units."""
    _, payload = _demo_run(any_app)
    expected = {
        u["unit"]: u for u in json.loads((EXAMPLES / "expected_index.json").read_text())["units"]
    }
    out = tmp_path / "index.json"
    assert parindex_index(EXAMPLES / "responses.csv", out).exit_code == 0
    cli = {u["unit"]: u for u in json.loads(out.read_text())["units"]}
    assert len(payload["units"]) == 21
    narrower = 0
    for row in payload["units"]:
        exp = expected[row["unit"]]
        assert _close(row["index"], exp["index"], 1e-9)
        assert row["rank"] == exp["rank"]
        assert _close(row["index_se"], cli[row["unit"]]["index_se"], 1e-6)  # CSV: 6 decimals
        narrower += row["index_se"] < exp["index_se"]
    assert narrower > 14


def test_the_psu_design_of_a_round_without_frame_still_gives_the_expected_index(any_app):
    with any_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        payload = _run_without_fpc(1)
    expected = {
        u["unit"]: u for u in json.loads((EXAMPLES / "expected_index.json").read_text())["units"]
    }
    for row in payload["units"]:
        exp = expected[row["unit"]]
        assert _close(row["index"], exp["index"], 1e-9)
        assert _close(row["index_se"], exp["index_se"], 1e-6)  # CSV weights carry 6 decimals
        assert row["rank"] == exp["rank"]


def _run_without_fpc(round_id):
    """The demo round's run with the frame's weights but the design of a round without a
    frame (the PSUs, with replacement): expected_index.json was made so."""
    from worker import pipeline

    run = pipeline.start_run(round_id)
    run.methodology = {**run.methodology, "fpc": False, "design": pipeline.PSU_DESIGN}
    db.session.commit()
    for no in range(run.chunks_total):
        pipeline.map_chunk(run.id, no)
    return run_payload(pipeline.reduce_run(run.id))


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
        other = cli[(row["unit"], row["subcriterion"])]
        assert _close(row["points"], other["points"], 1e-9)
        if row["se"] is not None:
            assert _close(row["se"], other["se"], 1e-6)  # CSV weights carry 6 decimals


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
        db.session.query(UnitResult).delete()
        db.session.query(AggregationRun).delete()
        db.session.commit()
        # 174 ranges for 520 random ids: about 9 hold no response at all (none: p < 1e-3)
        tiny = aggregate_round(1, chunk_size=3)
        sizes = [c.n_responses for c in db.session.scalars(select(AggregationChunk))]
        assert len(sizes) == 174 and 0 in sizes and sum(sizes) == 520
        scattered = run_payload(tiny)
    for other in (split, scattered):
        for a, b in zip(one["units"], other["units"], strict=True):
            assert a["unit"] == b["unit"] and a["rank"] == b["rank"]
            assert (a["rank_low"], a["rank_high"]) == (b["rank_low"], b["rank_high"])
            for key in ("index", "index_se", "survey_points", "survey_se"):
                assert _close(a[key], b[key])


def _chunks_read(app, rows=None) -> tuple[list, list[pd.DataFrame]]:
    """The demo round's chunk bounds and chunks (of 100), with ``rows`` as its responses."""
    with app.app_context():
        load_demo("admin@x.vn")
        if rows is not None:
            db.session.execute(delete(Response))
            db.session.execute(insert(Response), rows)
        db.session.commit()
        items = tuple(item_scales(db.session.get(Round, 1)))
        n = db.session.scalar(select(func.count()).select_from(Response))
        # by id on both databases (plan_bounds cuts PostgreSQL's by physical position)
        bounds = id_bounds(n, 100)
        ends = [*bounds[1:], None]
        return bounds, [read_chunk(1, a, b, items) for a, b in zip(bounds, ends, strict=True)]


def test_postgres_and_sqlite_read_the_same_responses_into_the_same_chunks(sqlite_app, pg_app):
    with sqlite_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        rows = [dict(r._mapping) for r in db.session.execute(select(Response.__table__))]
    assert any(9 in r["answers"].values() for r in rows)  # "don't know", kept as given
    assert any(len(r["answers"]) < 12 for r in rows)  # items left unanswered
    lite_bounds, lite = _chunks_read(sqlite_app)
    pg_bounds, pg = _chunks_read(pg_app, rows)
    assert lite_bounds == pg_bounds and len(lite) == 6
    for a, b in zip(lite, pg, strict=True):
        assert a.schema == b.schema
        pd.testing.assert_frame_equal(a.to_pandas().astype(str), b.to_pandas().astype(str))
        assert ChunkDigest().update(a).hexdigest() == ChunkDigest().update(b).hexdigest()
    by_id = {r["id"]: r["answers"] for r in rows}
    for _, row in lite[0].to_pandas().iterrows():
        given = {k: v for k, v in row.drop(list(DESIGN)).items() if not np.isnan(v)}
        assert given == by_id[row["response_id"]]


def test_a_chunk_digest_is_the_hash_of_its_columns_joined_as_text():
    frame = pd.DataFrame(
        {
            "response_id": ["a1", "b2"],
            "unit": ["U1", "U2"],
            "group": ["citizen", "leader"],
            "stratum": ["Đông Hòa", "x"],
            "psu": ["Pé", "p"],
            "Q01": [4.0, np.nan],
        }
    )
    parts = [hashlib.sha256("\x1f".join(frame[column]).encode()).digest() for column in DESIGN]
    parts.append(hashlib.sha256(np.array([4.0, np.nan]).tobytes()).digest())
    expected = hashlib.sha256(b"".join(parts)).hexdigest()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1)])  # columns of two chunks
    assert ChunkDigest().update(table).hexdigest() == expected
    assert ChunkDigest().update(chunked).hexdigest() == expected
    # fed batch by batch, as the worker reads a chunk: the same digest
    fed = ChunkDigest().update(table.slice(0, 1)).update(table.slice(1, 0)).update(table.slice(1))
    assert fed.hexdigest() == expected


def test_a_range_without_responses_reads_as_an_empty_chunk_on_both_databases(any_app):
    """Chunk ranges split the id space, so a small round cut finely has empty ranges."""
    with any_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        items = tuple(item_scales(db.session.get(Round, 1)))
        empty = read_chunk(1, "g", None, items)  # every id is hex, below "g"
        assert empty.num_rows == 0 and empty.column_names == [*DESIGN, *items]
        assert chunk_responses(empty, items, np.ones(0)).answers.shape == (0, len(items))
        full = read_chunk(1, "", None, items)
        assert full.num_rows == 520
        assert empty.schema == full.schema


def _raked_demo(app):
    from survey_app.responses.models import Response
    from survey_app.rounds.models import PopulationMargin

    with app.app_context():
        load_demo("admin@x.vn")
        # the demo declares no weighting variable, so its responses keep no sex: give them
        # one as a list with a declared ``sex`` would have, alternating in an order that
        # does not depend on the (random) response ids, so both databases agree
        responses = db.session.scalars(select(Response)).all()
        responses.sort(
            key=lambda r: (
                r.unit_id,
                r.group_code,
                r.stratum,
                r.psu,
                r.channel,
                json.dumps(r.answers, sort_keys=True),
            )
        )
        for i, response in enumerate(responses):
            response.attributes = {"sex": "FM"[i % 2]}
        for level, count in (("F", 5000.0), ("M", 3000.0)):
            db.session.add(PopulationMargin(round_id=1, variable="sex", level=level, count=count))
        db.session.commit()
        run = aggregate_round(1)
        assert run.state == "done", run.error
        return run.methodology, run_payload(run)


def test_a_raked_run_weights_each_sex_of_the_respondent_list_to_its_margin(sqlite_app, pg_app):
    """A respondent-list attribute ``sex`` raked to 5000 F / 3000 M over the demo's frame
    weights: the same figures on both databases (PostgreSQL reads chunks with COPY)."""
    lite, lite_payload = _raked_demo(sqlite_app)
    pg, pg_payload = _raked_demo(pg_app)
    raking = lite["raking"]
    assert raking["variables"] == ["sex"] and raking["from_answers"] == [] and raking["converged"]
    totals: dict[str, float] = {}
    for _stratum, (sex,), n, weight in raking["cells"]:
        totals[sex] = totals.get(sex, 0.0) + n * weight
    assert totals == {"F": pytest.approx(5000.0), "M": pytest.approx(3000.0)}
    pg_cells = {(s, tuple(lv)): (n, w) for s, lv, n, w in pg["raking"]["cells"]}
    for stratum, levels, n, weight in raking["cells"]:
        assert pg_cells[(stratum, tuple(levels))] == (n, pytest.approx(weight, rel=1e-12))
    assert len(pg_cells) == len(raking["cells"]) and {lv[0] for _, lv, _, _ in raking["cells"]} == {
        "F",
        "M",
    }
    expected = {
        u["unit"]: u["index"]
        for u in json.loads((EXAMPLES / "expected_index.json").read_text())["units"]
    }
    moved = 0
    for a, b in zip(lite_payload["units"], pg_payload["units"], strict=True):
        assert a["unit"] == b["unit"] and _close(a["index"], b["index"], 1e-9)
        moved += not _close(a["index"], expected[a["unit"]], 1e-6)
    assert moved > 0  # raking changed the figures of the frame-weighted index


def test_a_run_that_loses_the_race_with_new_responses_is_started_again(sqlite_app):
    """Weights are planned when a run starts: a response arriving before the chunks are
    read fails the run with its reason, and a new run is asked for by itself (up to
    RERUNS times in a row), so an open round busy with answers still gets its figures."""
    from survey_app.core.models import Job
    from worker.pipeline import RERUNS, map_chunk, reduce_run, start_run

    with sqlite_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        some = db.session.scalars(select(Response).limit(1)).one()
        for attempt in range(RERUNS + 1):
            run = start_run(1)
            copy = {c.name: getattr(some, c.name) for c in Response.__table__.columns}
            db.session.execute(insert(Response), [{**copy, "id": f"ff{attempt:06d}"}])
            db.session.commit()
            for chunk_no in range(run.chunks_total):
                map_chunk(run.id, chunk_no)
            reduce_run(run.id)  # the reduce finds the counts changed
            db.session.refresh(run)
            assert run.state == "failed" and "run again" in run.error
            asked = db.session.scalar(select(Job).where(Job.dedupe_key == f"rerun:{run.id}"))
            assert (asked is not None) == (attempt < RERUNS), attempt


def test_a_run_that_excludes_bursts_equals_a_run_without_those_responses(any_app):
    """Responses marked as from a burst on an open link are left out of a run when it is
    asked (``exclude_bursts``), in the chunks and the raking plan alike: the figures are
    those of the same round with the marked responses deleted."""
    with any_app.app_context():
        load_demo("admin@x.vn")
        db.session.execute(update(Response).where(Response.id < "3").values(is_burst=True))
        db.session.commit()
        marked = db.session.scalar(select(func.count()).where(Response.is_burst))
        assert 0 < marked < db.session.scalar(select(func.count()).select_from(Response))
        kept = aggregate_round(1, exclude_bursts=True)
        assert kept.methodology["exclude_bursts"] is True
        excluded = run_payload(kept)
        whole = aggregate_round(1)
        assert "exclude_bursts" not in whole.methodology
        everything = run_payload(whole)
        db.session.execute(delete(Response).where(Response.is_burst))
        db.session.commit()
        deleted = run_payload(aggregate_round(1))
    excluded, deleted, everything = (
        {u["unit"]: u["index"] for u in p["units"]} for p in (excluded, deleted, everything)
    )
    assert excluded.keys() == deleted.keys() == everything.keys()
    assert all(_close(excluded[u], deleted[u], 1e-9) for u in excluded)
    assert any(not _close(excluded[u], everything[u], 1e-9) for u in excluded)


def test_postgres_cuts_a_run_by_physical_position_with_the_figures_of_one_chunk(pg_app):
    """PostgreSQL reads a big round's chunks by block range (each page once) with the
    figures of the run read in one chunk; asked again with nothing changed, it is cut the
    same way and the earlier run is kept."""
    with pg_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        cut = aggregate_round(1, chunk_size=100)
        assert cut.state == "done", cut.error
        chunks = db.session.scalars(select(AggregationChunk)).all()
        assert len(chunks) == 6 and all(c.first_id.startswith("(") for c in chunks)
        assert sum(c.n_responses for c in chunks) == 520
        assert all(60 <= c.n_responses <= 140 for c in chunks), [c.n_responses for c in chunks]
        payload = run_payload(cut)
        again = aggregate_round(1, chunk_size=100)
        assert again.id == cut.id
        assert db.session.scalar(select(func.count()).select_from(AggregationRun)) == 1
        db.session.query(UnitResult).delete()
        db.session.query(AggregationRun).delete()
        db.session.commit()
        one = run_payload(aggregate_round(1, chunk_size=1000))
    for a, b in zip(payload["units"], one["units"], strict=True):
        assert a["unit"] == b["unit"] and a["rank"] == b["rank"]
        for key in ("index", "index_se", "survey_points", "survey_se"):
            assert _close(a[key], b[key])


def test_a_response_moved_by_an_update_while_postgres_reads_by_position_fails_the_run(pg_app):
    """An UPDATE writes a new version of a row, here after its chunk was read into a later
    one (read again): the chunks then read other responses than the plan counted, and the
    run fails with the reason and is asked again, as when responses arrive mid-run."""
    from sqlalchemy import text

    from survey_app.core.models import Job
    from worker.pipeline import map_chunk, reduce_run, start_run

    with pg_app.app_context():
        load_demo("admin@x.vn")
        db.session.commit()
        run = start_run(1, chunk_size=100)
        first = db.session.scalar(select(AggregationChunk).where(AggregationChunk.chunk_no == 1))
        map_chunk(run.id, 0)
        moved = text("SELECT count(*) FROM responses WHERE ctid >= CAST(:b AS tid)")
        before = db.session.scalar(moved, {"b": first.first_id})
        db.session.execute(  # the same values: the figures would not change, the rows move
            text("UPDATE responses SET channel = channel WHERE ctid < CAST(:b AS tid)"),
            {"b": first.first_id},
        )
        db.session.commit()
        assert db.session.scalar(moved, {"b": first.first_id}) > before
        for chunk_no in range(1, run.chunks_total):
            map_chunk(run.id, chunk_no)
        reduce_run(run.id)
        db.session.refresh(run)
        assert run.state == "failed" and "run again" in run.error
        assert db.session.scalar(select(Job).where(Job.dedupe_key == f"rerun:{run.id}"))


def _batched_and_whole(app, monkeypatch, change=None):
    """The demo round run in one chunk read as one batch and as batches of ~20 responses
    (:func:`worker.loading.streamed_chunk`): (runs, chunk digests, parts merged) of each."""
    from sqlalchemy import text

    from worker import loading, pipeline

    merged: list[int] = []  # how many parts each merge added
    merge = pipeline.merge

    def counted(parts):
        parts = list(parts)
        merged.append(len(parts))
        return merge(parts)

    monkeypatch.setattr(pipeline, "merge", counted)
    out = []
    with app.app_context():
        load_demo("admin@x.vn")
        if change:
            db.session.execute(text(change))
        db.session.commit()
        for batch_bytes in (loading.BATCH_BYTES, 2048):
            monkeypatch.setattr(loading, "BATCH_BYTES", batch_bytes)
            run = aggregate_round(1)
            digests = db.session.scalars(select(AggregationChunk.digest)).all()
            payload = run_payload(run) if run.state == "done" else None
            out.append((run.state, run.error, payload, digests))
            db.session.query(UnitResult).delete()
            db.session.query(AggregationRun).delete()
            db.session.commit()
    return out, merged


def test_postgres_maps_a_chunk_batch_by_batch_with_the_figures_of_one_batch(pg_app, monkeypatch):
    """A chunk is mapped batch by batch as PostgreSQL sends it and the batches' sums are
    merged: the figures of the chunk mapped at once (within rounding) and its digest."""
    (whole, batched), merged = _batched_and_whole(pg_app, monkeypatch)
    assert max(merged) > 10  # 520 responses of ~100 bytes each, 2 kB a batch
    assert whole[0] == batched[0] == "done" and whole[3] == batched[3]
    for a, b in zip(whole[2]["units"], batched[2]["units"], strict=True):
        assert a["unit"] == b["unit"] and a["rank"] == b["rank"]
        for key in ("index", "index_se", "survey_points", "survey_se"):
            assert _close(a[key], b[key])


def test_a_batch_that_cannot_be_mapped_fails_the_run_as_the_whole_chunk_does(pg_app, monkeypatch):
    """Answers outside their scale in the first batch (7) and the last (5): the run fails
    with the message of the chunk mapped at once, which names the smallest (the chunk is
    then mapped whole), not with the first batch's."""
    (whole, batched), _ = _batched_and_whole(
        pg_app,
        monkeypatch,
        "UPDATE responses SET answers = answers || CASE WHEN id = (SELECT min(id) "
        "FROM responses) THEN '{\"Q01\": 7}'::jsonb ELSE '{\"Q01\": 5}'::jsonb END "
        "WHERE id IN ((SELECT min(id) FROM responses), (SELECT max(id) FROM responses)); "
        "CLUSTER responses USING pk_responses",  # rows in id order: first and last batch
    )
    assert whole[0] == batched[0] == "failed"
    assert "Q01 has value 5, not in its scale" in whole[1] and batched[1] == whole[1]


def test_an_error_in_the_middle_of_a_copy_is_raised_as_itself(pg_app):
    """The server fails after it has sent part of a COPY (here a division by zero at the
    600,000th row): the task's thread gets the server's error, not pyarrow's account of a
    cut file (maybe after some batches: the reader raises it at its next read, whatever
    it had not yet read); the reader thread has ended and the session's connection is
    usable again after a rollback."""
    import psycopg

    from worker.loading import _CopyReader

    sql = (
        "COPY (SELECT i, 1 / (i - 600000) FROM generate_series(1, 1000000) i) "
        "TO STDOUT WITH (FORMAT csv)"
    )
    schema = pa.schema([("i", pa.int64()), ("q", pa.int64())])
    with pg_app.app_context():
        raw = db.session.connection().connection.driver_connection
        reader = _CopyReader(raw, sql, [])
        before = 0
        with pytest.raises(psycopg.errors.DivisionByZero):
            for table in reader.tables(schema):
                before += table.num_rows
        reader.close()
        assert before < 600000
        assert not reader._thread.is_alive()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
