"""Result rows of the estimators of docs/ESTIMATORS.md; field names as in reference_2k.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # raking imports nothing from here; avoid a cycle at run time anyway
    from aggregation.raking import RakingFit

ALL = "_ALL_"

#: Reasons given beside a null, worded for the analyst who reads the JSON.
NO_ANSWERS = "no respondent of this unit answered the item"
ONE_ANSWER = "needs at least 2 answers"
ALL_EQUAL = "every answer is the same, so there is no spread to compare"
WEIGHTS_TOO_SMALL = "the weights sum to no more than the number of answers (N_D <= n_D)"
ZERO_VARIANCE = "the design variance is zero"
SE_ROUNDING = (
    "the SE is below 1e-8 of the estimate: rounding noise, the design fixes this estimate "
    "(e.g. a raked margin reproduced exactly); the number is kept but carries no information"
)
#: Relative size under which an SE is taken for rounding noise (docs/ESTIMATORS.md (g)).
SE_NOISE_RATIO = 1e-8
NO_DESIGN_DF = "the design has no degrees of freedom (as many strata as PSUs)"
P_AT_BOUND = "undefined at p = 0 or p = 1 (no one or everyone satisfied)"
NO_UNIT_DF = "the unit's respondents sit in one PSU per stratum, so its design has no df"
ONE_ROW = "the unit has a single respondent"
RAKED_NROW = (
    "raked design: as R's svyciprop, nrow is the whole sample, because R keeps the rows "
    "outside a calibrated subset with zero weight"
)


@dataclass(frozen=True)
class MeanRow:
    """A domain mean with SE, t interval, design effect and Kish figures (ESTIMATORS (a))."""

    design: str
    item: str
    unit: str
    n: int
    mean: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: int
    deff: float | None
    n_eff_design: float | None
    sum_w: float
    kish_deff: float | None
    mean_reason: str | None = None
    ci_reason: str | None = None
    deff_reason: str | None = None
    se_reason: str | None = None


@dataclass(frozen=True)
class ProportionRow:
    """Share with answer >= threshold, logit and Korn-Graubard intervals (ESTIMATORS (c))."""

    design: str
    item: str
    unit: str
    n: int
    p: float | None
    se: float | None
    logit_low: float | None
    logit_high: float | None
    logit_df: int
    beta_low: float | None
    beta_high: float | None
    beta_nrow: int
    beta_degf: int
    beta_n_eff: float | None
    logit_reason: str | None = None
    beta_reason: str | None = None
    beta_note: str | None = None
    se_reason: str | None = None


@dataclass(frozen=True)
class UnweightedRow:
    """Unweighted mean and its ``t.test`` interval over available cases (docs/ESTIMATORS.md (d))."""

    item: str
    unit: str
    n: int
    mean: float | None
    sd: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: int
    sd_reason: str | None = None


@dataclass(frozen=True)
class KishRow:
    """Kish figures of a unit over all its respondents (docs/ESTIMATORS.md (a), Kish)."""

    design: str
    unit: str
    n: int
    sum_w: float
    sum_w2: float
    kish_neff: float | None
    kish_deff: float | None
    kish_reason: str | None = None


@dataclass(frozen=True)
class DomainScores:
    """Estimates with the PSU totals of their linearised scores, for combinations (ESTIMATORS (e)).

    Attributes
    ----------
    items, units : tuple of str
        Labels of axis 0 and 1; ``units`` ends with ``_ALL_``.
    mean, proportion : ndarray, shape (n_items, n_units)
        Point estimates (nan where the domain has no answers; the rows say why).
    z_mean, z_proportion : ndarray, shape (n_items, n_units, n_psu)
        PSU totals ``z_hi`` of the scores (after the raking correction for a raked design).
    psu_stratum : ndarray of int, shape (n_psu,)
    df : int
    """

    items: tuple[str, ...]
    units: tuple[str, ...]
    mean: np.ndarray
    proportion: np.ndarray
    z_mean: np.ndarray
    z_proportion: np.ndarray
    psu_stratum: np.ndarray
    df: int

    def index(self, item: str, unit: str) -> tuple[int, int]:
        """Array position of ``(item, unit)``; raises KeyError naming the missing label."""
        try:
            return self.items.index(item), self.units.index(unit)
        except ValueError as exc:
            raise KeyError(f"no estimate for item {item!r} in unit {unit!r}") from exc


@dataclass(frozen=True)
class EstimateSet:
    """Everything ``parindex estimate`` reports for one design."""

    design: str
    df: int
    level: float
    t_quantile: float | None
    n_rows: int
    n_psu: int
    n_strata: int
    means: list[MeanRow]
    proportions: list[ProportionRow]
    unweighted: list[UnweightedRow]
    kish: list[KishRow]
    scores: DomainScores = field(repr=False)
    raking: RakingFit | None = field(default=None, repr=False)

    def rows(self) -> dict[str, list[dict]]:
        """The four row lists as plain dicts (JSON-ready apart from nan → null)."""
        return {
            "means": [asdict(r) for r in self.means],
            "proportions": [asdict(r) for r in self.proportions],
            "unweighted": [asdict(r) for r in self.unweighted],
            "kish": [asdict(r) for r in self.kish],
        }
