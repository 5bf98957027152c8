"""``parindex estimate``: design-based estimates from a responses CSV, no database."""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass

import click
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from aggregation.design import DesignError, make_design
from aggregation.domains import RakingSpec, estimate_domains
from aggregation.estimates import ALL
from survey_app.cli.common import write_json

_NULLS = ["", "NA"]


@dataclass(frozen=True)
class _Columns:
    items: list[str]
    by: str
    weight: str | None
    strata: str | None
    psu: str | None
    rake: list[str]
    ssu: str | None = None
    fpc: str | None = None
    fpc2: str | None = None

    def labels(self) -> list[str]:
        return [c for c in (self.by, self.strata, self.psu, self.ssu, *self.rake) if c]

    def numbers(self) -> list[str]:
        return self.items + [c for c in (self.weight, self.fpc, self.fpc2) if c]


@click.command()
@click.argument("responses", type=click.Path(exists=True, dir_okay=False))
@click.option("--items", required=True, help="Comma-separated item columns, e.g. q1,q2.")
@click.option("--by", required=True, help="Column of the unit (domain) of each response.")
@click.option("--weight", help="Base-weight column (default: every weight is 1).")
@click.option("--strata", help="Stratum column (default: one stratum).")
@click.option("--psu", help="PSU column, nested in strata (default: each response is a PSU).")
@click.option("--ssu", help="Stage-2 unit column, nested in the PSU (R: ids = ~psu + ssu).")
@click.option("--fpc", help="Stage-1 fpc column: PSUs in the stratum (people when each "
              "response is its own PSU) if > 1, else the sampling fraction.")  # fmt: skip
@click.option("--fpc2", help="Stage-2 fpc column: SSUs in the PSU if > 1, else the fraction.")
@click.option("--rake", help="Comma-separated raking variables, e.g. sex,age_band.")
@click.option("--margins", type=click.Path(exists=True, dir_okay=False),
              help="Population margins CSV: variable,level,count.")  # fmt: skip
@click.option("--satisfied-min", type=float, default=4.0, show_default=True,
              help="An answer at least this counts as satisfied.")  # fmt: skip
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True, help="Confidence level.")  # fmt: skip
@click.option("--json", "json_out", required=True, help="Output file, or - for stdout.")
@click.option("--timings", is_flag=True, help="Report read and compute seconds in meta.")
def estimate(responses, items, by, weight, strata, psu, ssu, fpc, fpc2, rake, margins,
             satisfied_min, level, json_out, timings) -> None:  # fmt: skip
    """Means, proportions satisfied, unweighted and Kish figures per unit, with SEs and CIs.

    Designs are R's svydesign(ids = ~psu + ssu, strata, weights, fpc = ~fpc + fpc2,
    nest = TRUE); variances are svyrecvar's (docs/ESTIMATORS.md).
    """
    started = time.perf_counter()
    cols = _Columns(_split(items, "--items"), by, weight, strata, psu, _split(rake, "--rake"),
                    ssu, fpc, fpc2)  # fmt: skip
    _check_stages(cols)
    if bool(cols.rake) != bool(margins):
        raise click.ClickException("--rake and --margins go together")
    table = _read(responses, cols)
    _check_finite(responses, table, cols.numbers())
    data = _columns_as_arrays(responses, table, cols)
    # The parsed CSV is no longer needed: its memory goes back now (Arrow's pool would
    # keep it, out of numpy's reach), so that the estimate's arrays can reuse it. With
    # the two steps below, the command's peak memory is a third lower.
    del table
    pa.default_memory_pool().release_unused()
    targets = _read_margins(margins, cols.rake) if margins else None
    read_s = time.perf_counter() - started
    try:
        result = _compute(data, cols, targets, satisfied_min, level)
    except DesignError as exc:
        column = {"fpc": cols.fpc, "fpc2": cols.fpc2}.get(exc.field or "")
        if exc.row is None or column is None:
            raise click.ClickException(str(exc)) from None
        raise click.ClickException(_bad_cell(responses, exc.row, column, f"— {exc}")) from None
    compute_s = time.perf_counter() - started - read_s
    if result.raking is not None and not result.raking.converged:
        click.echo(f"warning: raking did not converge in {result.raking.iterations} iterations",
                   err=True)  # fmt: skip
    payload = {"meta": _meta(result, responses, cols, satisfied_min), **result.rows()}
    if timings:
        total = time.perf_counter() - started
        payload["meta"]["timings"] = {"read_s": read_s, "compute_s": compute_s, "total_s": total}
    write_json(payload, json_out)


def _check_stages(cols: _Columns) -> None:
    """Stage options that R's svydesign would refuse or could not express."""
    if cols.ssu and not cols.psu:
        raise click.ClickException("--ssu needs --psu (the SSU is nested in the PSU)")
    if cols.fpc2 and not (cols.ssu and cols.fpc):
        raise click.ClickException("--fpc2 needs --ssu and --fpc")
    if cols.ssu and cols.fpc and not cols.fpc2:
        raise click.ClickException(
            "--ssu with --fpc needs --fpc2 (as R's svydesign: one fpc per stage)"
        )


def _split(value: str | None, option: str) -> list[str]:
    names = [v.strip() for v in (value or "").split(",") if v.strip()]
    if len(set(names)) != len(names):
        raise click.ClickException(f"{option} names a column twice")
    if value is not None and not names:
        raise click.ClickException(f"{option} names no column")
    return names


def _read(path: str, cols: _Columns) -> pa.Table:
    """Read only the needed columns: items and weight as numbers, codes as strings."""
    header = _header(path)
    wanted = cols.labels() + cols.numbers()
    unknown = [c for c in wanted if c not in header]
    if unknown:
        raise click.ClickException(
            f"{path}: no column {unknown[0]!r} (columns: {', '.join(header)})"
        )
    types = {c: pa.string() for c in cols.labels()} | {c: pa.float64() for c in cols.numbers()}
    convert = pacsv.ConvertOptions(
        column_types=types, include_columns=list(dict.fromkeys(wanted)),
        null_values=_NULLS, strings_can_be_null=True, quoted_strings_can_be_null=True,
    )  # fmt: skip
    try:
        return pacsv.read_csv(path, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise click.ClickException(_arrow_reason(path, header, str(exc))) from None


def _check_finite(path: str, table: pa.Table, names: list[str]) -> None:
    """Refuse inf, -inf, 1e400 (read as inf) and NaN; NA and empty cells are not answered.

    ``any`` skips the nulls of empty cells. No ``fill_null`` unless a value is bad: like
    every Python value turned into an Arrow one, its scalar imports pandas (0.2 s).
    """
    for name in dict.fromkeys(names):
        column = table.column(name)
        bad = pc.or_(pc.is_nan(column), pc.is_inf(column))
        if pc.any(bad).as_py():
            bad = pc.fill_null(bad, False)
            row = int(np.flatnonzero(bad.to_numpy(zero_copy_only=False))[0])
            problem = "is not a finite number (NA or an empty cell means not answered)"
            raise click.ClickException(_bad_cell(path, row, name, problem))


def _check_reserved(path: str, table: pa.Table, by: str, labels: list[str]) -> None:
    """``_ALL_`` names the whole sample in the output; a unit cannot take that name.

    Looks in the unit labels first: comparing the column with a Python string would
    import pandas (as in :func:`_check_finite`) for every file.
    """
    if ALL in labels:
        hits = pc.equal(table.column(by), ALL)
        row = int(np.flatnonzero(pc.fill_null(hits, False).to_numpy(zero_copy_only=False))[0])
        problem = "is reserved for the whole sample and cannot name a unit"
        raise click.ClickException(_bad_cell(path, row, by, problem))


def _bad_cell(path: str, row: int, name: str, problem: str) -> str:
    """``FILE, line L, column C (NAME): 'text' problem``, with the cell as written."""
    header = _header(path)
    col = header.index(name)
    text = None
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for i, cells in enumerate(csv.reader(fh)):
            if i == row + 1:
                text = cells[col] if col < len(cells) else ""
                break
    return f"{path}, line {row + 2}, column {col + 1} ({name}): {text!r} {problem}"


def _header(path: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        row = next(csv.reader(fh), None)
    if not row:
        raise click.ClickException(f"{path}: the file is empty")
    return row


def _arrow_reason(path: str, header: list[str], message: str) -> str:
    """Turn pyarrow's conversion error into one line naming the column and the value."""
    col = re.search(r"column #(\d+)", message)
    val = re.search(r"invalid value '([^']*)'", message)
    if col and val:
        name = header[int(col.group(1))]
        return f"{path}: column {name!r} must hold numbers, found {val.group(1)!r}"
    return f"{path}: cannot read the file ({message.splitlines()[0]})"


def _codes(table: pa.Table, name: str, labelled: bool = True) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a label column (sorted labels) and the labels; empty cells refused.

    ``labelled=False`` skips the list of labels (design columns: only codes are needed).
    """
    column = table.column(name).combine_chunks()
    if column.null_count:
        first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise click.ClickException(
            f"column {name!r} is empty in {column.null_count} row(s) (first at line {first + 2})"
        )
    encoded = pc.dictionary_encode(column)
    # Arrow sorts UTF-8 bytes, which is code point order: the order of sorted(labels).
    sort = pc.array_sort_indices(encoded.dictionary)
    order = _view(sort, np.uint64)
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0])
    idx = _view(encoded.indices, np.int32)  # rank[idx] is int64
    labels = encoded.dictionary.take(sort).to_pylist() if labelled else []
    return rank[idx], labels


def _numbers(table: pa.Table, name: str, out: np.ndarray | None = None) -> np.ndarray:
    """A float64 column into ``out`` (or a new array), nan for empty cells."""
    column = table.column(name)
    out = np.empty(len(column)) if out is None else out
    start = 0
    for chunk in column.chunks:
        part = out[start : start + len(chunk)]
        part[:] = _view(chunk, np.float64)
        if chunk.null_count:
            bits = np.frombuffer(chunk.buffers()[0], np.uint8)
            valid = np.unpackbits(bits, count=chunk.offset + len(chunk), bitorder="little")
            part[valid[chunk.offset :] == 0] = np.nan
        start += len(chunk)
    return out


def _view(array: pa.Array, dtype) -> np.ndarray:
    """The values of a primitive Arrow array (nulls as whatever their slots hold).

    Not ``to_numpy``: that imports pandas (0.2 s, as ``pa.scalar``) on first use.
    """
    if array.type != pa.from_numpy_dtype(dtype):  # the buffer would be misread
        raise TypeError(f"expected {np.dtype(dtype)} values, got {array.type}")
    if len(array) == 0:  # its buffers may be absent
        return np.empty(0, dtype)
    data = array.buffers()[1]
    return np.frombuffer(data, dtype, len(array), array.offset * np.dtype(dtype).itemsize)


def _read_margins(path: str, variables: list[str]) -> dict[str, dict[str, float]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"variable", "level", "count"} <= set(rows[0]):
        raise click.ClickException(f"{path}: expected the columns variable,level,count")
    out: dict[str, dict[str, float]] = {v: {} for v in variables}
    for line, row in enumerate(rows, start=2):
        if row["variable"] not in out:
            wanted = ",".join(variables)
            raise click.ClickException(
                f"{path}, line {line}: {row['variable']!r} is not one of --rake {wanted}"
            )
        try:
            out[row["variable"]][row["level"]] = float(row["count"])
        except ValueError:
            raise click.ClickException(
                f"{path}, line {line}: count {row['count']!r} is not a number"
            ) from None
    empty = [v for v, counts in out.items() if not counts]
    if empty:
        raise click.ClickException(f"{path}: no margin for {empty[0]!r}")
    return out


def _columns_as_arrays(path: str, table: pa.Table, cols: _Columns) -> dict:
    """Parse the columns into codes and floats (part of reading: no statistics yet)."""
    n = table.num_rows
    if n == 0:
        raise click.ClickException("the responses file has no rows")
    data = {"n": n, "unit": _codes(table, cols.by), "weights": None, "strata": None, "psu": None,
            "ssu": None, "fpc": None, "fpc2": None}  # fmt: skip
    _check_reserved(path, table, cols.by, data["unit"][1])
    if cols.weight:
        data["weights"] = _numbers(table, cols.weight)
        _check_weights(data["weights"], cols.weight)
    for key in ("fpc", "fpc2"):  # checked by make_design, which names the bad cell
        if getattr(cols, key):
            data[key] = _numbers(table, getattr(cols, key))
    for key in ("strata", "psu", "ssu"):
        if getattr(cols, key):
            data[key] = _codes(table, getattr(cols, key), labelled=False)[0]
    # Column-major: the map reads one item at a time.
    data["answers"] = np.empty((n, len(cols.items)), order="F")
    for i, c in enumerate(cols.items):
        _numbers(table, c, data["answers"][:, i])
    data["rake"] = [_codes(table, v) for v in cols.rake]
    return data


def _compute(data: dict, cols: _Columns, targets, satisfied_min: float, level: float):
    raking = _raking_spec(data["rake"], cols, targets) if targets else None
    units = data["unit"][1]
    # The row-length columns are handed on, not kept here: the design drops its inputs
    # once it is made, and estimate_domains the design and rows once they are mapped, so
    # that later arrays reuse their memory instead of adding to the peak.
    return estimate_domains(
        make_design(
            data["n"], data.pop("weights"), data.pop("strata"), data.pop("psu"),
            ssu=data.pop("ssu"), fpc=data.pop("fpc"), fpc2=data.pop("fpc2"),
        ),
        data.pop("unit")[0], data.pop("answers"), units=units, items=cols.items,
        raking=raking, satisfied_min=satisfied_min, level=level,
    )  # fmt: skip


def _check_weights(weights: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(weights) | (weights <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise click.ClickException(
            f"column {name!r}: {int(bad.sum())} weight(s) are missing, zero or negative "
            f"(first at line {first + 2}: {weights[first]})"
        )


def _raking_spec(coded: list, cols: _Columns, targets) -> RakingSpec:
    return RakingSpec(
        names=tuple(cols.rake), codes=tuple(c for c, _ in coded),
        levels=tuple(tuple(labels) for _, labels in coded),
        targets=tuple(targets[v] for v in cols.rake),
    )  # fmt: skip


def _meta(result, path: str, cols: _Columns, satisfied_min: float) -> dict:
    fit = result.raking
    raking = None if fit is None else {
        "variables": cols.rake, "iterations": fit.iterations, "converged": fit.converged,
        "max_margin_error": fit.max_margin_error,
    }  # fmt: skip
    return {
        "df": result.df, "design": result.design, "level": result.level,
        "t_quantile": result.t_quantile, "n_rows": result.n_rows,
        "n_units": len(result.kish), "n_strata": result.n_strata, "n_psu": result.n_psu,
        "items": cols.items, "by": cols.by, "weight": cols.weight, "strata": cols.strata,
        "psu": cols.psu, "ssu": cols.ssu, "fpc": cols.fpc, "fpc2": cols.fpc2,
        "satisfied_min": satisfied_min, "raking": raking,
        "data_file": path,
    }  # fmt: skip
