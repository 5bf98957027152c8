"""The summary of a unit kind, announced as a ministry does, to two decimals in both languages."""

from __future__ import annotations

import re

import survey_app.models  # noqa: F401  (maps every model, as the app does)
from survey_app.results.announcement import announcement
from survey_app.results.tables import KindBlock, UnitLine
from survey_app.units.models import Unit, UnitKind


def _block(kind: str, summary: dict, names: dict[str, tuple[str, str]]) -> KindBlock:
    k = UnitKind(code=kind, name_vi=kind, name_en=kind)
    lines = [
        UnitLine(Unit(code=code, kind=k, name_vi=vi, name_en=en), {"flags": []})
        for code, (vi, en) in names.items()
    ]
    return KindBlock(k, lines, summary)


#: A case built to reproduce the ministry's published figures (DOMAIN.md).
CUC = {
    "kind": "cuc",
    "n_units": 10,
    "mean": 79.5512,
    "max": 90.1,
    "max_unit": "C02",
    "min": 59.78,
    "min_unit": "C07",
    "gap": 30.32,
    "previous_mean": 76.7712,
    "mean_change": 2.78,
    "n_at_least_80": 6,
    "share_at_least_80": 60.0,
    "fell": [{"unit": "C07", "change": -1.254}],
    "ministry_index": 79.21,
}
VU = {
    "kind": "vu",
    "n_units": 11,
    "mean": 86.4,
    "max": 94.0,
    "max_unit": "V01",
    "min": 80.0,
    "min_unit": "V02",
    "gap": 14.0,
    "previous_mean": 83.47,
    "mean_change": 2.93,
    "n_at_least_80": 11,
    "share_at_least_80": 100.0,
    "fell": [],
    "ministry_index": None,
}
NAMES = {"C02": ("Cục Báo chí", "Press Authority"), "C07": ("Cục Cơ sở", "Grassroots Authority")}


def test_vietnamese_announcement_states_the_published_figures_with_decimal_commas():
    text = " ".join(announcement(_block("cuc", CUC, NAMES), "vi"))
    assert text.startswith("10 Cục: chỉ số trung bình đạt 79,55%")
    assert "cao nhất 90,10% (Cục Báo chí), thấp nhất 59,78% (Cục Cơ sở)" in text
    assert "khoảng cách giữa đơn vị cao nhất và thấp nhất là 30,32 điểm phần trăm" in text
    assert "tăng 2,78 điểm phần trăm so với năm trước (76,77%)" in text
    assert "6/10 đơn vị (60,0%) đạt từ 80% trở lên" in text
    assert "Cục Cơ sở (giảm 1,25 điểm)" in text
    assert "Chỉ số trung bình của các Cục đạt 79,55%, so với Chỉ số CCHC của Bộ là 79,21%" in text
    assert not re.search(r"\d\.\d", text), "Vietnamese figures use a decimal comma"


def test_english_announcement_uses_decimal_points_and_the_english_names():
    text = " ".join(announcement(_block("cuc", CUC, NAMES), "en"))
    assert "10 departments (Cục): mean index 79.55%" in text
    assert "highest 90.10% (Press Authority), lowest 59.78% (Grassroots Authority)" in text
    assert "the gap between the highest and the lowest is 30.32 percentage points" in text
    assert "The mean rose 2.78 percentage points on the previous year (76.77%)." in text
    assert "against the ministry's own index of 79.21%" in text


def test_apparatus_units_all_above_80_are_announced_as_100_percent():
    vi = " ".join(announcement(_block("vu", VU, {}), "vi"))
    en = " ".join(announcement(_block("vu", VU, {}), "en"))
    assert "11/11 đơn vị (100,0%) đạt từ 80% trở lên" in vi
    assert "tăng 2,93 điểm phần trăm" in vi
    assert "Không có đơn vị nào có chỉ số giảm." in vi
    assert "11 of 11 units (100.0%) are at or above 80%." in en
    assert "ministry" not in en  # no ministry index given: no comparison sentence


def test_a_falling_mean_and_a_missing_previous_year_are_worded_accordingly():
    fell = dict(VU, mean_change=-0.5, previous_mean=86.9)
    assert "The mean fell 0.50 percentage points" in " ".join(
        announcement(_block("vu", fell, {}), "en")
    )
    first = dict(VU, mean_change=None, previous_mean=None)
    text = " ".join(announcement(_block("vu", first, {}), "en"))
    assert "previous year" not in text and "fell" not in text
