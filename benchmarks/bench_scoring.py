"""Scoring every English LSOA (32,844, LSOA 2011) with the default recipe, plus 1,000
sensitivity draws, from the real national files.

Run: .venv/bin/python benchmarks/bench_scoring.py   (target: seconds)
"""

from __future__ import annotations

import warnings

import pandas as pd
from _common import shared, timed

from inclusion_geo.diagnostics import sensitivity
from inclusion_geo.geography import convert_counts
from inclusion_geo.indicators import compute_indicators
from inclusion_geo.scoring import default_recipe, score
from inclusion_geo.sources import (
    load_census_table,
    load_census_tables,
    load_composite_uk_imd,
    load_iod,
    load_lsoa_change_lookup,
    load_oa_lsoa_lookup,
)

OA = (
    "ts001.csv",
    "ts038.parquet",
    "ts037.parquet",
    "ts067.parquet",
    "ts029.parquet",
    "ts011.parquet",
    "ts054.parquet",
)


def national_indicators() -> pd.DataFrame:
    tables = shared("ons-census2021-oa-tables")
    lookups = shared("ons-lookups")
    with timed("read Census OA tables and sum to LSOA 2021"):
        counts = load_census_tables(
            [tables / f for f in OA],
            metadata=tables / "Table_Metadata.csv",
            lookup=load_oa_lsoa_lookup(lookups / "OA21_to_LSOA21_EW.csv"),
        )
        age = load_census_table(shared("ons-census2021-nomis", "Census 2021 - Population.csv"))
        counts = counts.join(age.drop(columns="area_name"))
    with timed("convert England to LSOA 2011"):
        change = load_lsoa_change_lookup(
            lookups
            / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv"
        )
        change = change[change["lsoa21cd"].str.startswith("E")]
        population = load_iod(
            shared("mhclg-iod2019", "File_6_-_IoD2019_Population_Denominators.csv.gz")
        )
        counts11 = convert_counts(
            counts.loc[counts.index.str.startswith("E")],
            change,
            to="2011",
            population=population["population_total"],
        )
    with timed("read IMD and compute indicators"):
        imd = load_composite_uk_imd(shared("mysociety-composite-uk-imd", "UK_IMD_E.csv"))
        counts11 = counts11.join(imd[["imd_score"]], how="inner")
        recipe = default_recipe().without(
            ["pct_one_person_66_plus", "pct_premises_below_30mbit", "median_download_mbit"]
        )
        indicators = compute_indicators(counts11, [recipe.spec(i.name) for i in recipe.indicators])
    return indicators, recipe


def main() -> None:
    warnings.simplefilter("ignore", UserWarning)
    indicators, recipe = national_indicators()
    print(f"areas: {len(indicators):,}; indicators: {indicators.shape[1]}")
    with timed("score (default recipe, min-max, national scope)"):
        scores = score(indicators, recipe)
    with timed("sensitivity: 1,000 draws (weights x normalisation)"):
        sens = sensitivity(indicators, recipe, draws=1000, seed=0)
    print(
        f"top decile kept on average: {sens.attrs['top_retained']:.1%}; highest index {scores['risk_index'].max():.2f}"
    )


if __name__ == "__main__":
    main()
