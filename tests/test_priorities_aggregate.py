import numpy as np
import pandas as pd
import pytest

from inclusion_geo._errors import DataQualityError
from inclusion_geo.aggregate import rollup
from inclusion_geo.priorities import PRIORITY_MATRIX, priority_areas


def areas():
    return pd.DataFrame(
        {
            "risk_index": [9.0, 8.0, 5.0, 2.0, 1.0],
            "risk_decile": [1, 2, 4, 9, 10],
            "hotspot_class": [
                "Hot spot (99%)",
                "Not significant",
                "Hot spot (90%)",
                "Not significant",
                "Cold spot (95%)",
            ],
            "population": [1500, 1400, 1600, 1200, 1000],
            "dist_any_m": [2500.0, 300.0, 2000.0, 3000.0, 100.0],
            "top_barriers": ["Aged 75+ 20%", "", "", "", ""],
            "ward_code": ["W1", "W1", "W2", "W2", "W2"],
            "pct_aged_75_plus": [20.0, 10.0, 8.0, 5.0, 4.0],
            "residents": [1500, 1400, 1600, 1200, 1000],
        },
        index=pd.Index([f"E0100000{i}" for i in range(1, 6)], name="lsoa11cd"),
    )


def test_matrix_bands_and_ranking():
    out = priority_areas(areas())
    assert out.index.tolist() == ["E01000001", "E01000003", "E01000002", "E01000004", "E01000005"]
    assert out["priority_band"].tolist() == [1, 2, 3, 4, 5]
    assert (
        out.loc["E01000001", "risk_level"] == "high"
        and out.loc["E01000001", "access_level"] == "poor"
    )
    # a hot spot lifts decile 4 to medium risk
    assert out.loc["E01000003", "risk_level"] == "medium"
    assert out["priority_rank"].tolist() == [1, 2, 3, 4, 5]
    assert out.loc["E01000001", "reason"].startswith(
        "High risk (decile 1, hot spot (99%)); nearest digital support 2.5 km away (poor access)"
    )
    assert "Aged 75+ 20%" in out.loc["E01000001", "reason"]
    assert PRIORITY_MATRIX.loc["high", "poor"] == 1 and PRIORITY_MATRIX.loc["low", "good"] == 5


def test_rollup_conserves_totals_and_weights_by_population():
    a = priority_areas(areas())
    wards = rollup(
        a, intensive_variables=["risk_index", "pct_aged_75_plus"], extensive_variables=["residents"]
    )
    assert wards["population"].sum() == a["population"].sum()
    assert wards["residents"].sum() == a["residents"].sum()
    assert wards.loc["W1", "risk_index"] == pytest.approx((9 * 1500 + 8 * 1400) / 2900)
    assert wards.loc["W1", "pct_pop_top_decile"] == pytest.approx(100 * 1500 / 2900)
    assert wards.loc["W2", "n_hotspot_areas"] == 1
    assert wards["rank"].tolist() == [1, 2]
    assert wards.loc["W1", "n_priority_areas"] == 1


def test_rollup_refuses_unassigned_and_empty_areas():
    a = areas()
    a.loc["E01000002", "ward_code"] = np.nan
    with pytest.raises(DataQualityError, match="E01000002"):
        rollup(a)
    a = areas()
    a.loc["E01000004", "population"] = 0
    with pytest.raises(DataQualityError, match="no population"):
        rollup(a)


def test_demo_ward_table_is_complete(demo_result, demo):
    wards = demo_result.wards
    assert set(wards.index) == set(demo.wards.index)
    assert wards["population"].sum() == demo.counts["residents"].sum()
    assert wards["n_areas"].sum() == len(demo.areas)


def test_unmeasured_access_is_unknown_and_banded_on_risk_alone():
    a = areas()
    a["dist_any_m"] = [np.nan, 300.0, np.nan, np.nan, 100.0]
    out = priority_areas(a)
    assert out.loc[["E01000001", "E01000003", "E01000004"], "access_level"].eq("unknown").all()
    assert out.loc["E01000001", "priority_band"] == PRIORITY_MATRIX.loc["high", "fair"] == 2
    assert out.loc["E01000004", "priority_band"] == 5
    assert "access to digital support not measured" in out.loc["E01000001", "reason"]
    assert "nearest digital support 300 m away" in out.loc["E01000002", "reason"]
