"""The tables a council shares: the workbook, the column dictionary, wards.csv, honest recipe
labels, and the result's notebook display."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from inclusion_geo import report
from inclusion_geo import tables as tables_module
from inclusion_geo._columns import column_dictionary, describe, number_format, undocumented

from .hostile import HOSTILE, HTML_SCRIPT, HTML_TAG, hostile_names

REPO = Path(__file__).resolve().parents[1]
DROPPED = ["pct_one_person_66_plus", "pct_premises_below_30mbit", "median_download_mbit"]


@pytest.fixture(scope="module")
def tables(demo_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    report.write_tables(demo_result, folder)
    return folder


@pytest.fixture(scope="module")
def partial(demo_result):
    """The demo scored as a config that lost three indicators for lack of data would be."""
    return replace(
        demo_result,
        recipe=demo_result.recipe.without(DROPPED),
        settings=replace(demo_result.settings, dropped_indicators=tuple(DROPPED)),
    )


def _tables_of(result) -> dict[str, list[str]]:
    return {
        "priority_areas": list(report.priority_table(result).columns),
        "wards": list(report.ward_table(result).columns),
        "assets": list(tables_module._assets_table(result).columns),
        "register": tables_module._register_columns(result),
    }


# ---------------------------------------------------------------- the workbook


def test_workbook_has_formatted_data_sheets_from_row_one(tables, demo_result):
    book = openpyxl.load_workbook(tables / "priority_areas.xlsx")
    assert book.sheetnames == ["priority_areas", "wards", "assets", "about", "columns"]
    assert book.active.title == "priority_areas"
    # the assets sheet lists the places that help or could host (tiers 1-2); the rest are in
    # register.xlsx
    helping = int((demo_result.assets["tier"] <= 2).sum())
    assert 0 < helping < len(demo_result.assets)
    expected_rows = {"priority_areas": 320, "wards": 20, "assets": helping}
    for name, n in expected_rows.items():
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        assert sheet.max_row == n + 1, name  # data from row 1: no notes above the header
        assert all(c.font.bold for c in sheet[1]), name
        assert sheet.freeze_panes in ("A2", "B2") and sheet.auto_filter.ref == sheet.dimensions
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert min(widths) >= 6 and max(widths) <= 62 and len(set(widths)) > 1, name
        assert header[0] in ("priority_rank", "ward_code", "id")
    sheet = book["priority_areas"]
    header = [c.value for c in sheet[1]]

    def fmt(column, sheet=sheet, header=header):
        return sheet.cell(row=2, column=header.index(column) + 1).number_format

    assert fmt("population") == "#,##0" and fmt("residents_at_risk") == "#,##0"
    assert fmt("risk_index") == "0.000" and fmt("dist_digital_support_m") == "#,##0"
    assert fmt("e2sfca_share_hours_assumed") == "0.0%" and fmt("area_name") == "General"
    wards = book["wards"]
    wheader = [c.value for c in wards[1]]
    assert wards.cell(row=2, column=wheader.index("pct_disabled") + 1).number_format == '0.0"%"'
    assert wards.cell(row=2, column=wheader.index("population") + 1).number_format == "#,##0"
    # numbers stay numbers, text stays text
    assert isinstance(sheet.cell(row=2, column=header.index("population") + 1).value, int)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)


def test_about_sheet_says_what_the_tables_are_and_leave_out(tables, demo_result, partial, tmp_path):
    about = {r[0]: r[1] for r in openpyxl.load_workbook(tables / "priority_areas.xlsx")["about"].iter_rows(values_only=True) if r[0]}  # fmt: skip
    assert demo_result.title in about
    assert about["Recipe status"] == "complete: all 11 indicators"
    assert about["Dropped indicators"] == "none"
    assert "synthetic demo data" in about["Data"] and "Source - all inputs" in about
    rows = report.about_rows(demo_result)
    caveats = " ".join(d for k, d in rows if k == "Caveat")
    assert "modelled estimates, not counts" in caveats
    assert "remove one leading '" in about["CSV files"]

    report.write_tables(partial, tmp_path)
    about = dict(openpyxl.load_workbook(tmp_path / "priority_areas.xlsx")["about"].iter_rows(values_only=True))  # fmt: skip
    assert about["Recipe"] == "inclusion_geo default (Census 2021) (partial: 8 of 11 indicators)"
    assert about["Recipe status"].startswith("partial: 8 of 11 indicators")
    assert "Living alone, 66+ (pct_one_person_66_plus)" in about["Dropped indicators"]
    assert "Median download speed (median_download_mbit)" in about["Dropped indicators"]


def test_workbook_columns_sheet_is_the_column_dictionary(tables):
    sheet = pd.read_excel(tables / "priority_areas.xlsx", sheet_name="columns")
    csv = pd.read_csv(tables / "columns.csv")
    pd.testing.assert_frame_equal(sheet.fillna(""), csv.fillna(""))
    assert list(csv.columns) == ["table", "column", "meaning", "unit", "source"]
    for table in ("priority_areas", "wards"):
        written = pd.read_csv(
            tables / f"{table}.csv", nrows=0, comment=None,
            skiprows=_notes(tables / f"{table}.csv"),
        ).columns  # fmt: skip
        assert csv.loc[csv["table"] == table, "column"].tolist() == list(written)
    assert set(csv["table"]) == {"priority_areas", "wards", "assets", "register"}


def _notes(path: Path) -> int:
    return sum(line.startswith("# ") for line in path.read_text(encoding="utf-8").splitlines())


def test_workbook_of_hostile_names_holds_text_only(demo_result, tmp_path):
    a = demo_result.areas.copy()
    a["name"] = hostile_names(len(a))
    evil = replace(demo_result, areas=a, place=HOSTILE["formula_eq"], label="")
    report.write_tables(evil, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "priority_areas.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    about = book["about"]
    assert about["A1"].value.endswith(HOSTILE["formula_eq"]) and about["A1"].data_type == "s"
    header = [c.value for c in book["priority_areas"][1]]
    names = [r[header.index("area_name")] for r in book["priority_areas"].iter_rows(min_row=2, values_only=True)]  # fmt: skip
    assert HOSTILE["formula_eq"] + " #6" in names


# ---------------------------------------------------------------- the column dictionary


def test_every_column_of_the_demo_tables_is_described(demo_result):
    tables = _tables_of(demo_result)
    assert undocumented(tables, recipe=demo_result.recipe) == []
    d = column_dictionary(tables, recipe=demo_result.recipe)
    assert (d["meaning"] != "not described").all() and d["unit"].ne("").all()


def test_an_undescribed_column_is_caught():
    assert undocumented({"priority_areas": ["risk_index", "mystery_column"]}) == [
        ("priority_areas", "mystery_column")
    ]
    row = column_dictionary({"wards": ["mystery_column"]}).iloc[0]
    assert row["meaning"] == "not described"


def test_pattern_columns_use_the_recipes_labels(demo_result):
    recipe = demo_result.recipe
    meaning, unit, source = describe("score_pct_disabled", recipe=recipe)
    assert "Disabled" in meaning and unit == "index, 0 to 10" and "Census 2021" in source
    meaning, unit, _ = describe("pct_disabled", table="wards", recipe=recipe)
    assert meaning.startswith("Disabled") and "population-weighted" in meaning and unit == "%"
    assert "'library'" in describe("n_library_800m")[0] and "800 m" in describe("n_library_800m")[0]  # fmt: skip
    assert "tier 1" in describe("n_digital_support_1600m")[0]
    # ward and area meanings differ where they should
    assert describe("risk_index", table="wards")[0].startswith("Population-weighted mean")
    assert number_format("metres") == "#,##0" and number_format("% (0 to 100)") == '0.0"%"'


def test_support_category_counts_are_named_for_what_they_count(demo_result):
    table = report.priority_table(demo_result)
    assert not [c for c in table.columns if "_any_" in c or c.startswith("n_tier")]
    a = demo_result.areas
    assert table["n_support_category_800m"].tolist() == a["n_any_800m"].tolist()
    assert table["n_digital_support_1600m"].tolist() == a["n_tier1_1600m"].tolist()
    assert table["n_support_or_venue_800m"].tolist() == a["n_tier1_2_800m"].tolist()
    # "any" counts every place of a support category, context-only ones too: not "any place"
    meaning = describe("n_support_category_800m")[0]
    assert "any tier" in meaning and "category" in meaning


@pytest.mark.shared_data
def test_every_column_of_leeds_and_national_tables_is_described(shared_data, tmp_path):
    from inclusion_geo.national import run_national
    from inclusion_geo.runner import run_config

    text = (REPO / "examples" / "leeds.toml").read_text().replace("../../shared/data", str(shared_data))  # fmt: skip
    leeds = tmp_path / "leeds.toml"
    leeds.write_text(text.replace("permutations = 999", "permutations = 0"))
    with pytest.warns(UserWarning):
        result = run_config(leeds)
    assert undocumented(_tables_of(result), recipe=result.recipe) == []

    wy = (REPO / "examples" / "west_yorkshire.toml").read_text().replace("../../shared/data", str(shared_data))  # fmt: skip
    wy = wy.replace("permutations = 999", "permutations = 0").replace(
        'code = ["E08000035", "E08000032", "E08000033"]', 'code = ["E08000032", "E08000033"]'
    )
    config = tmp_path / "wy.toml"
    config.write_text(wy)
    with pytest.warns(UserWarning):
        run = run_national(config, tmp_path / "out", progress=False, workers=1)
    out = run.out_dir
    written = {
        "national_priority_areas": pd.read_csv(out / "national_priority_areas.csv", nrows=0).columns,  # fmt: skip
        "local_authorities": pd.read_csv(out / "local_authorities.csv", nrows=0).columns,
        "wards": pd.read_csv(out / "E08000032" / "wards.csv", nrows=0).columns,
        "priority_areas": pd.read_csv(
            out / "E08000032" / "priority_areas.csv", nrows=0,
            skiprows=_notes(out / "E08000032" / "priority_areas.csv"),
        ).columns,
    }  # fmt: skip
    assert undocumented(written, recipe=result.recipe) == []
    shipped = pd.read_csv(out / "columns.csv")
    assert set(shipped["table"]) == {"national_priority_areas", "local_authorities"}
    assert (shipped["meaning"] != "not described").all()
    assert (out / "E08000032" / "columns.csv").exists()


# ---------------------------------------------------------------- wards.csv


def test_wards_csv_names_the_ward_and_counts_in_whole_numbers(tables, demo_result):
    wards = pd.read_csv(tables / "wards.csv")
    assert list(wards.columns[:2]) == ["ward_code", "ward"] and "name" not in wards.columns
    assert set(wards["ward"]) == set(demo_result.wards["name"])
    for col in ["population", "n_areas", "n_priority_areas", "offline_adults", "offline_adults_high"]:  # fmt: skip
        assert pd.api.types.is_integer_dtype(wards[col]), col
    assert wards["population"].sum() == demo_result.areas["population"].sum()
    line = (tables / "wards.csv").read_text().splitlines()[1].split(",")
    assert "." not in line[list(wards.columns).index("population")]


# ---------------------------------------------------------------- honest labels


def test_recipe_label_says_partial_when_indicators_were_dropped(demo_result, partial):
    assert report.recipe_label(demo_result) == "inclusion_geo default (Census 2021)"
    assert report.recipe_label(partial) == (
        "inclusion_geo default (Census 2021) (partial: 8 of 11 indicators)"
    )
    notes = tables_module._header_lines(partial)
    assert notes[1].startswith("Recipe: inclusion_geo default (Census 2021) (partial: 8 of 11")
    assert any(n.startswith("Scored without: Living alone, 66+ (pct_one_person_66_plus)") for n in notes)  # fmt: skip
    assert not any("Scored without" in n for n in tables_module._header_lines(demo_result))


def test_csv_header_lists_dropped_indicators(partial, tmp_path):
    report.write_tables(partial, tmp_path, full=False)
    text = (tmp_path / "priority_areas.csv").read_text(encoding="utf-8")
    notes = [line for line in text.splitlines() if line.startswith("# ")]
    assert any("(partial: 8 of 11 indicators)" in n for n in notes)
    assert any("Scored without" in n and "median_download_mbit" in n for n in notes)
    assert notes[-1].endswith(f"skiprows={len(notes)}).")
    assert len(pd.read_csv(tmp_path / "priority_areas.csv", skiprows=len(notes))) == 320
    assert not (tmp_path / "priority_areas.xlsx").exists()


# ---------------------------------------------------------------- notebook display


def test_repr_is_one_short_line(demo_result):
    text = repr(demo_result)
    assert "\n" not in text and len(text) < 200
    n_priority = int((demo_result.areas["priority_band"] <= 2).sum())
    assert text == (
        f"<StageTwoResult Demoborough (synthetic demo data): 320 areas, 20 wards, "
        f"{len(demo_result.assets)} places, {n_priority} priority areas>"
    )


def test_repr_html_is_a_card_with_every_name_escaped(demo_result, partial):
    card = demo_result._repr_html_()
    assert card.startswith("<div") and len(card) < 6_000
    assert "Demoborough" in card and ".priority_table()" in card and "modelled estimate" in card
    assert "(partial: 8 of 11 indicators)" in partial._repr_html_()
    a = demo_result.areas.copy()
    a["name"] = hostile_names(len(a))
    a["ward_name"] = HTML_SCRIPT
    evil = replace(demo_result, areas=a, place=HTML_TAG)
    card = evil._repr_html_()
    assert "<img" not in card and "<script" not in card and "</script" not in card
    assert html.escape(HTML_TAG) in card
    assert html.escape(a["name"].iloc[0]) in card  # the first priority area, escaped


def test_a_workbook_that_cannot_be_created_is_an_os_error(tmp_path):
    """XlsxWriter's own FileCreateError is said as an OSError, which the CLI reports in one
    line, naming the file."""
    from inclusion_geo._workbook import Workbook

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match="cannot write the workbook .*a-file"):
        with Workbook(blocker / "book.xlsx") as book:
            book.table("t", pd.DataFrame({"a": [1]}))
