"""The JSON document of ``parindex index`` (FORMATS.md), shared by the CLI and the worker."""

from __future__ import annotations

from dataclasses import asdict

from aggregation.inputs import IndexInputs
from aggregation.results import IndexResult

#: The survey design of the figures, as ``meta.design`` states it.
PSU_DESIGN = "PSUs within strata, sampled with replacement (no finite population correction)"
FPC_DESIGN = (
    "people sampled within each stratum (unit × group) without replacement: the frame's "
    "populations are finite population corrections (R: svydesign(ids = ~1, strata = "
    "~stratum, fpc = ~population))"
)


def index_payload(result: IndexResult, inputs: IndexInputs) -> dict:
    """The JSON document of FORMATS.md ``parindex index``."""
    return {
        "meta": {
            "df": result.df,
            "t": result.t,
            "level": 0.95,
            "seed": result.seed,
            "draws": result.draws,
            "rank_interval": "central 95% of ranks simulated from N(index, Cov) per kind",
            "criteria_sets": [cs.code for cs in inputs.criteria_sets],
            "n_responses": result.n_responses,
            "fpc": result.fpc,
            "design": FPC_DESIGN if result.fpc else PSU_DESIGN,
        },
        "units": [asdict(u) for u in result.units],
        "subcriteria": [asdict(s) for s in result.subcriteria],
        "summary": [asdict(s) for s in result.summary],
    }
