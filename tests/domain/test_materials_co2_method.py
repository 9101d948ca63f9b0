"""The CO2 method in two languages, from the factor values a stored link keeps."""

from __future__ import annotations

import pytest

from exchange.domain.factors import Defaults
from exchange.domain.materials import CATALOGUE


@pytest.mark.parametrize("key", list(CATALOGUE))
def test_the_method_reads_the_same_from_the_kept_factors_in_both_languages(key):
    mat = CATALOGUE[key]
    d = Defaults({"truck_co2_t_per_t_km": 9e-05, "h2_baseline_co2_t_per_t": 12.0, "grid_co2_t_per_mwh": 0.58})
    kept = mat.co2_method_factors(d)
    assert mat.co2_method_zh and kept
    for lang in ("en", "zh"):
        assert mat.co2_method_text(kept, lang) == mat.co2_method_text(d, lang)
    zh = mat.co2_method_text(kept, "zh")
    assert "基准" in zh and all(str(v) in zh for v in kept.values())
