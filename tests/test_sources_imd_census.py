"""Loaders on the real published files in ../shared/data (see its PROVENANCE.md)."""

import numpy as np
import pandas as pd
import pytest

from inclusion_geo._errors import (
    DataQualityError,
    InclusionGeoError,
    MissingColumnsError,
    UnknownCodeError,
)
from inclusion_geo.sources import (
    aggregate_counts,
    load_census_table,
    load_census_tables,
    load_composite_uk_imd,
    load_imd2019,
    load_iod,
    load_lsoa_change_lookup,
    load_nomis_export,
    load_oa_lsoa_lookup,
)

pytestmark = pytest.mark.shared_data
LEEDS = "E08000035"


@pytest.fixture(scope="module")
def iod(shared_data):
    return shared_data / "mhclg-iod2019"


def test_file1_xlsx_reads_the_second_sheet(iod):
    f = load_imd2019(iod / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx")
    assert len(f) == 32_844 and f.index.name == "lsoa11cd"
    assert f.loc["E01000001", ["imd_rank", "imd_decile"]].tolist() == [29199, 9]
    assert (f["lad_code"] == LEEDS).sum() == 482
    assert "imd_score" in f.attrs["lacks"]  # File 1 has ranks and deciles only


def test_file2_domains_with_bom(iod):
    f = load_iod(iod / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
    assert f.index[0] == "E01000001"  # the BOM did not stick to the first header
    for domain in [
        "income",
        "employment",
        "education",
        "health",
        "crime",
        "barriers",
        "living_environment",
    ]:
        assert {f"{domain}_rank", f"{domain}_decile"} <= set(f.columns)
    assert f.loc["E01000001", "barriers_rank"] == 7319
    assert f["imd_rank"].between(1, 32_844).all()


def test_file6_quoted_thousands_separators(iod):
    f = load_iod(iod / "File_6_-_IoD2019_Population_Denominators.csv.gz")
    assert f.loc["E01000001", "population_total"] == 1296  # published as "1,296"
    assert (
        54_000_000 < f["population_total"].sum() < 55_000_000
    )  # England, mid-2015, without prisoners


def test_file7_cut_with_welsh_rows_and_cross_nation_ranks(iod):
    with pytest.warns(UserWarning) as record:
        f = load_iod(
            iod / "File_7a_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv"
        )
    messages = " ".join(str(w.message) for w in record)
    assert "1909 row(s) from other nations" in messages
    assert "run past 32,844" in messages
    assert len(f) == 32_844 and f.loc["E01000001", "income_score"] == pytest.approx(0.007)
    assert {"imd_score", "employment_score"} <= set(f.attrs["lacks"])
    with pytest.warns(UserWarning, match="run past"):
        both = load_iod(
            iod / "File_7a_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
            nations=("E", "W"),
        )
    assert len(both) == 32_844 + 1_909


def test_composite_uk_imd_percentages_become_rates(shared_data):
    f = load_composite_uk_imd(shared_data / "mysociety-composite-uk-imd" / "UK_IMD_E.csv")
    assert len(f) == 32_844
    assert f.loc["E01000001", "income_score"] == pytest.approx(0.007)
    assert f.loc["E01000001", "imd_score"] == pytest.approx(6.208)
    with pytest.raises(InclusionGeoError, match="only 'E' and 'W'"):
        load_composite_uk_imd(
            shared_data / "mysociety-composite-uk-imd" / "UK_IMD_E.csv", nations=("S",)
        )


def test_wrong_file_for_a_loader(shared_data, tmp_path):
    with pytest.raises(MissingColumnsError, match="LSOA code"):
        load_iod(shared_data / "ons-lookups" / "OA21_to_LSOA21_EW.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataQualityError, match="empty"):
        load_iod(empty)
    header_only = tmp_path / "h.csv"
    header_only.write_text("LSOA code (2011),Income Score (rate)\n")
    with pytest.raises(DataQualityError, match="no rows"):
        load_iod(header_only)
    bad = tmp_path / "bad.csv"
    bad.write_text("LSOA code (2011),Income Score (rate)\nE01000001,0.1\nE01000002,n/a\n")
    with pytest.raises(DataQualityError, match="non-numeric"):
        load_iod(bad)
    sup = tmp_path / "sup.csv"
    sup.write_text("LSOA code (2011),Income Score (rate)\nE01000001,0.1\nE01000002,..\n")
    with pytest.warns(UserWarning, match="suppressed"):
        assert load_iod(sup)["income_score"].isna().sum() == 1
    dup = tmp_path / "dup.csv"
    dup.write_text("LSOA code (2011),Income Score (rate)\nE01000001,0.1\nE01000001,0.2\n")
    with pytest.raises(DataQualityError, match="duplicate"):
        load_iod(dup)


@pytest.fixture(scope="module")
def oa_tables(shared_data):
    return shared_data / "ons-census2021-oa-tables"


@pytest.fixture(scope="module")
def leeds_oas(shared_data):
    change = load_lsoa_change_lookup(
        shared_data
        / "ons-lookups"
        / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv"
    )
    oa = load_oa_lsoa_lookup(shared_data / "ons-lookups" / "OA21_to_LSOA21_EW.csv")
    leeds21 = change.loc[change["lad22cd"] == LEEDS, "lsoa21cd"].unique()
    return oa[oa.isin(leeds21)]


def test_coded_oa_tables_decode_and_sum_to_lsoa(oa_tables, leeds_oas):
    meta = oa_tables / "Table_Metadata.csv"
    t = load_census_table(oa_tables / "ts038.parquet", metadata=meta)
    assert len(t) == 188_880 and t.index.name == "oa21cd"
    raw = pd.read_parquet(oa_tables / "ts038.parquet").set_index("OA").loc["E00060274"]
    assert t.loc["E00060274"].tolist() == [raw["ts0380001"], raw["ts0380002"]]  # base, disabled
    assert len(leeds_oas) == 2_607
    lsoa = aggregate_counts(t.loc[leeds_oas.index], leeds_oas)
    assert len(lsoa) == 488 and lsoa.index.name == "lsoa21cd"
    assert lsoa["disabled"].sum() == t.loc[leeds_oas.index, "disabled"].sum()
    with pytest.raises(InclusionGeoError, match="Table_Metadata"):
        load_census_table(oa_tables / "ts038.parquet")


def test_every_supported_oa_table_loads(oa_tables):
    meta = pd.read_csv(oa_tables / "Table_Metadata.csv")
    files = ["ts001.csv", "ts041.csv", "ts011.parquet", "ts017.parquet", "ts029.parquet", "ts037.parquet",
             "ts038.parquet", "ts045.parquet", "ts054.parquet", "ts062.parquet", "ts067.parquet"]  # fmt: skip
    counts = load_census_tables([oa_tables / f for f in files], metadata=meta)
    assert len(counts) == 188_880
    for num, den in [("disabled", "disability_base"), ("no_qualifications", "residents_16_plus"),
                     ("poor_english", "residents_3_plus"), ("hh_deprived_3_plus", "hh_deprivation_base"),
                     ("social_rented", "tenure_base"), ("nssec_routine_never_worked", "nssec_base"),
                     ("bad_health", "health_base")]:  # fmt: skip
        assert (counts[num] <= counts[den]).all()
    # the sum of the categories equals each table's own total
    assert counts["residents"].sum() == pytest.approx(counts["disability_base"].sum(), rel=1e-3)
    with pytest.raises(InclusionGeoError, match="listed twice"):
        load_census_tables(
            [oa_tables / "ts038.parquet", oa_tables / "ts038.parquet"], metadata=meta
        )


def test_nomis_bulk_layout(oa_tables, tmp_path):
    """A bulk file written in Nomis' published layout from the real OA values."""
    meta = pd.read_csv(oa_tables / "Table_Metadata.csv")
    coded = pd.read_parquet(oa_tables / "ts029.parquet").head(50)
    old = dict(zip(meta["new_names"], meta["old_names"], strict=False))
    bulk = coded.rename(columns=old).rename(columns={"OA": "geography code"})
    bulk.insert(0, "date", 2021)
    bulk.insert(1, "geography", bulk["geography code"])
    path = tmp_path / "census2021-ts029-oa.csv"
    bulk.to_csv(path, index=False)
    t = load_census_table(path)
    direct = load_census_table(oa_tables / "ts029.parquet", metadata=meta).head(50)
    pd.testing.assert_frame_equal(t, direct, check_dtype=False)


def test_nomis_web_export_rm121(shared_data):
    path = shared_data / "ons-census2021-nomis" / "Census 2021 - Population.csv"
    t = load_nomis_export(path)
    assert len(t) == 35_672 and t.index.name == "lsoa21cd"
    row = t.loc["E01011954"]
    assert row["area_name"] == "Hartlepool 001A"
    assert (row["age_base"], row["aged_65_plus"], row["aged_75_plus"]) == (2280, 324, 137)
    assert t.index.str.startswith("E01").sum() > 33_000
    # load_census_table recognises the layout too
    pd.testing.assert_frame_equal(load_census_table(path), t)


def test_unknown_codes_and_wrong_table(oa_tables, tmp_path, leeds_oas):
    t = load_census_table(oa_tables / "ts001.csv", metadata=oa_tables / "Table_Metadata.csv")
    with pytest.raises(UnknownCodeError, match="not in the lookup"):
        aggregate_counts(t.head(10), leeds_oas)
    with pytest.raises(
        MissingColumnsError, match="of TS038 not found.*Is this the Disability table"
    ):
        load_census_table(
            oa_tables / "ts029.parquet", table="ts038", metadata=oa_tables / "Table_Metadata.csv"
        )
    with pytest.raises(InclusionGeoError, match="not supported"):
        load_census_table(oa_tables / "ts029.parquet", table="ts999")
    np.testing.assert_array_equal(t.index[:2], ["E00060274", "E00060275"])


def test_iod2025_layout_is_on_lsoa_2021():
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "iod2025" / "File_7_IoD2025_sample.csv"
    f = load_iod(path)
    assert f.index.name == "lsoa21cd" and f.attrs["vintage"] == "2021"
    assert f.loc["E01035040", ["imd_score", "income_score", "population_total"]].tolist() == [
        41.2,
        0.251,
        1734,
    ]
    with pytest.raises(InclusionGeoError, match="IoD 2025"):
        load_imd2019(path)


def test_vintage_inferred_from_codes(shared_data):
    from inclusion_geo._errors import VintageMismatchError
    from inclusion_geo.geography import infer_lsoa_vintage

    change = load_lsoa_change_lookup(
        shared_data
        / "ons-lookups"
        / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv"
    )
    leeds = change[change["lad22cd"] == LEEDS]
    assert infer_lsoa_vintage(leeds["lsoa11cd"], change) == "2011"
    assert infer_lsoa_vintage(leeds["lsoa21cd"], change) == "2021"
    assert infer_lsoa_vintage(["E01011264"], change) == "either"
    mixed = [
        *leeds.loc[leeds["chgind"] == "S", "lsoa11cd"][:1],
        *leeds.loc[leeds["chgind"] == "S", "lsoa21cd"][:1],
    ]
    with pytest.raises(VintageMismatchError, match="mix geography vintages"):
        infer_lsoa_vintage(mixed, change)
    with pytest.raises(UnknownCodeError, match="E01999999"):
        infer_lsoa_vintage(["E01999999"], change)
