import numpy as np
import pandas as pd
import pytest
import shapely

from inclusion_geo.datasets import DEMO_LABEL, load_demo_borough


def test_areas_tile_the_borough_without_gaps_or_overlaps(demo):
    areas = demo.areas
    assert 250 <= len(areas) <= 400
    assert areas.crs.to_epsg() == 27700
    assert areas.is_valid.all()
    union = shapely.union_all(areas.geometry.to_numpy())
    # no overlaps: the parts add up to the whole; no gaps: the whole is one polygon without holes
    assert areas.area.sum() == pytest.approx(union.area, rel=1e-9)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    # real polygons, not squares: cells have 5+ sides on average
    n_vertices = shapely.get_num_coordinates(areas.geometry.to_numpy()) - 1
    assert n_vertices.mean() > 5


def test_codes_names_and_wards_look_like_a_real_borough_but_are_fictional(demo):
    assert demo.areas.index.str.fullmatch(r"X01\d{6}").all()
    assert not demo.areas.index.str.match(r"[EWSN]0").any()
    assert demo.areas["name"].str.fullmatch(r"Demoborough \d{3}[A-Z]+").all()
    assert 15 <= demo.areas["ward_code"].nunique() <= 25
    assert set(demo.areas["ward_code"]) == set(demo.wards.index)
    assert demo.areas["population"].between(1000, 2600).all()
    assert demo.areas["population"].mean() == pytest.approx(1500, rel=0.1)


def test_counts_are_counts_with_consistent_denominators(demo):
    c = demo.counts
    assert (c.index == demo.areas.index).all()
    assert (c["aged_75_plus"] <= c["aged_65_plus"]).all()
    assert (c["aged_65_plus"] <= c["residents"]).all()
    assert (c["no_qualifications"] <= c["residents_16_plus"]).all()
    assert (c["premises_below_10mbit"] <= c["premises_below_30mbit"]).all()
    assert pd.api.types.is_integer_dtype(c["residents"])


def test_counts_have_the_structure_of_a_real_borough(demo):
    """Older, poorly connected fringe; deprived core with low qualifications and poor English."""
    c = demo.counts
    centre = shapely.centroid(shapely.union_all(demo.areas.geometry.to_numpy()))
    dist = demo.centroids.distance(centre)
    inner, outer = dist <= dist.quantile(0.2), dist >= dist.quantile(0.8)
    rate = lambda num, den: c[num] / c[den]  # noqa: E731
    assert (
        rate("aged_65_plus", "residents")[outer].mean()
        > rate("aged_65_plus", "residents")[inner].mean()
    )
    assert (
        rate("premises_below_30mbit", "premises")[outer].mean()
        > 3 * rate("premises_below_30mbit", "premises")[inner].mean()
    )
    assert (
        rate("no_qualifications", "residents_16_plus")[inner].mean()
        > rate("no_qualifications", "residents_16_plus")[outer].mean()
    )
    assert (
        rate("poor_english", "residents_3_plus")[inner].mean()
        > 2 * rate("poor_english", "residents_3_plus")[outer].mean()
    )


def test_assets_have_categories_attributes_and_an_html_hostile_name(demo):
    a = demo.assets
    assert 60 <= len(a) <= 100
    assert {
        "library",
        "community_centre",
        "place_of_worship",
        "health",
        "cafe_wifi",
        "advice",
    } <= set(a["category"])
    assert a["opening_hours"].notna().any() and a["internet_access"].notna().any()
    assert a["name"].str.contains("<").any() and a["name"].str.contains("&").any()
    assert a["name"].str.contains('"').any()
    assert (a["source"] == DEMO_LABEL).all()
    inside = a.geometry.within(shapely.union_all(demo.areas.geometry.to_numpy()))
    assert inside.all()
    assert a.index.is_unique


def test_same_seed_same_borough_other_seed_other_borough():
    one, two, other = load_demo_borough(3), load_demo_borough(3), load_demo_borough(4)
    pd.testing.assert_frame_equal(one.counts, two.counts)
    assert one.areas.geometry.equals(two.areas.geometry)
    pd.testing.assert_frame_equal(
        one.assets.drop(columns="geometry"), two.assets.drop(columns="geometry")
    )
    assert not np.array_equal(one.counts["residents"], other.counts["residents"])


@pytest.mark.parametrize("bad", [{"seed": "1"}, {"n_areas": 10}, {"n_wards": 99}])
def test_bad_arguments_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        load_demo_borough(**({"seed": 0} | bad))
