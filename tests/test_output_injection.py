"""Every name from someone else's file is literal data in the tables, Markdown, figures and
index pages (issue "[1/6] Security and data safety", "Injection in the other outputs").

The hostile strings of ``tests/hostile.py`` are fed in as area, ward and asset names, ward
codes, categories, reasons and the ``place``. The interactive map is tested in
``test_mapping.py``; here it is replaced by a stub so these tests see only the other outputs.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from html.parser import HTMLParser
from types import SimpleNamespace

import matplotlib.text
import openpyxl
import pandas as pd
import pytest

from inclusion_geo import figures, national, report, run_demo, tables
from inclusion_geo._safe import clean_text, csv_text_cells, file_stem, html_text, md_text

from .hostile import HOSTILE, MATHS, PRINTABLE, assert_not_evaluated, hostile_names

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLACE = " ".join(PRINTABLE.values())
# a Markdown link or image whose target is one of our own files, made from codes by file_stem
OWN_TARGET = re.compile(r"^[A-Za-z0-9_-]+(_map\.png|_domains\.png|\.md)$")


@pytest.fixture(scope="module")
def base():
    return run_demo(0, permutations=99)


@pytest.fixture(scope="module")
def evil(base):
    """The demo result with every name, code, category, reason and the place hostile."""
    areas, wards, assets = base.areas.copy(), base.wards.copy(), base.assets.copy()
    codes = dict(zip(wards.index, hostile_names(len(wards))[::-1], strict=True))
    names = dict(zip(wards.index, hostile_names(len(wards)), strict=True))
    areas["ward_name"] = areas["ward_code"].map(names)
    areas["ward_code"] = areas["ward_code"].map(codes)
    areas["name"] = hostile_names(len(areas))
    areas["reason"] = hostile_names(len(areas))[::-1]
    wards["name"] = wards.index.map(names)
    wards.index = wards.index.map(codes).rename(base.wards.index.name)
    bounds = base.ward_boundaries.copy()
    bounds.index = bounds.index.map(codes).rename(base.ward_boundaries.index.name)
    values = list(HOSTILE.values())
    categories = {c: f"{values[i]} cat{i}" for i, c in enumerate(sorted(assets["category"].unique()))}  # fmt: skip
    assets["category"] = assets["category"].map(categories)
    assets["name"] = hostile_names(len(assets))
    suitable = tuple(categories[c] for c in base.settings.suitable)
    return replace(
        base, areas=areas, wards=wards, assets=assets, ward_boundaries=bounds, place=PLACE,
        settings=replace(base.settings, suitable=suitable),
    )  # fmt: skip


@pytest.fixture
def no_map(monkeypatch):
    """The interactive map (another module, tested elsewhere) as a stub page."""
    import inclusion_geo.mapping as mapping

    monkeypatch.setattr(report, "build_map", lambda result, **kw: "stub")
    monkeypatch.setattr(
        mapping, "save_map", lambda m, path: path.write_text("stub", encoding="utf-8") or path
    )


@pytest.fixture(scope="module")
def written(evil, tmp_path_factory):
    """Every output of the hostile result (the map stubbed), written once."""
    import inclusion_geo.mapping as mapping

    def placeholder(*args, title, **kwargs):  # per-ward figures: drawn in the tests below
        path = args[2] if len(args) > 2 else args[1]
        path.write_text(title, encoding="utf-8")
        return path

    out = tmp_path_factory.mktemp("evil") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report, "build_map", lambda result, **kw: "stub")
        mp.setattr(mapping, "save_map", lambda m, path: path.write_text("stub") or path)
        for name in ["choropleth_png", "ward_profile_png"]:
            mp.setattr(figures, name, placeholder)
        report.write_outputs(evil, out)
    return out


def _unescape_md(text: str) -> str:
    """What a CommonMark renderer shows for text that holds no markup."""
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text.replace("&lt;", "<").replace("&gt;", ">"))
    return text


def _markdown():
    """A CommonMark parser with GitHub's tables and strikethrough and Jupyter's $ maths."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(dollarmath_plugin)


def _inline(md, source: str) -> list:
    return [child for token in md.parse(source) if token.children for child in token.children]


def _assert_no_markup_but_ours(text: str, where: str) -> None:
    """Rendered by a real CommonMark parser: no raw HTML or maths, and every link or image
    points at one of our own files (names can make none)."""
    tokens = _markdown().parse(text)
    flat = [t for token in tokens for t in [token, *(token.children or [])]]
    kinds = {t.type for t in flat}
    assert not kinds & {"html_inline", "html_block", "math_inline", "math_block"}, where
    for t in flat:
        if t.type == "link_open":
            assert OWN_TARGET.match(t.attrs["href"]), (where, t.attrs["href"])
        if t.type == "image":
            assert OWN_TARGET.match(t.attrs["src"]), (where, t.attrs["src"])


def _shown(text: str) -> str:
    """The text a reader sees once the Markdown is rendered."""
    tokens = _markdown().parse(text)
    return " ".join(
        c.content for t in tokens for c in (t.children or []) if c.type in ("text", "code_inline")
    )


# ---------------------------------------------------------------- the escaping functions


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_md_text_leaves_no_markup_and_shows_the_name(key):
    """Parsed by a real CommonMark renderer, wherever a name stands (list item, heading, table
    cell, emphasis), it is one run of plain text that reads as the name."""
    md, text = _markdown(), HOSTILE[key]
    escaped = md_text(text)
    shown = clean_text(text).strip()
    for source in (f"- {escaped}", f"# {escaped}", f"1. **{escaped}** ({escaped})"):
        kinds = {c.type for c in _inline(md, source)}
        assert kinds <= {"text", "strong_open", "strong_close"}, (key, source, kinds)
    for source in (f"{escaped}", f"- {escaped}", f"# {escaped}"):
        assert "".join(c.content for c in _inline(md, source)).strip() == shown, source
    table = md.parse(f"| a | b |\n| --- | --- |\n| {escaped} | x |\n")
    cells = [t for t in table if t.type == "td_open"]
    assert len(cells) == 2  # a pipe in a name never adds a column
    assert "<" not in escaped and ">" not in escaped  # no raw HTML anywhere
    assert _unescape_md(escaped) == clean_text(text)


def test_md_text_escapes_ampersand_with_a_backslash_not_an_entity():
    assert md_text("Money & Benefits") == "Money \\& Benefits"
    assert md_text("&lt;b&gt;") == "\\&lt;b\\&gt;"  # shown as typed, never decoded


def test_file_stems_are_plain_distinct_and_never_paths():
    codes = ["E05012345", "a_b", "a b", "a-b", "../x", "", "CON", "nul", *HOSTILE.values()]
    stems = [file_stem(c) for c in codes]
    assert stems[0] == "E05012345" and stems[1] == "a_b"
    assert len(set(stems)) == len(codes)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", s) for s in stems)
    assert stems[6].upper() != "CON" and stems[7].upper() != "NUL"


# ---------------------------------------------------------------- XLSX


def _text_frame() -> pd.DataFrame:
    texts = [*HOSTILE.values(), "'quoted", "plain"]
    return pd.DataFrame(
        {"name": texts, "value": [-2.5 + i for i in range(len(texts))], "n": range(len(texts))}
    )


def test_xlsx_stores_every_string_as_text_and_survives_control_characters(tmp_path):
    frame = _text_frame()
    path = tmp_path / "t.xlsx"
    tables._write_xlsx(
        frame, path, ['=HYPERLINK("x","y") title', "note\x00two"], wards=frame, assets=frame,
        dictionary=pd.DataFrame({"column": frame["name"], "meaning": frame["name"]}),
    )  # fmt: skip
    book = openpyxl.load_workbook(path)
    about = book["about"]  # the notes are on their own sheet; the data starts at row 1
    assert about["A1"].value == '=HYPERLINK("x","y") title' and about["A1"].data_type == "s"
    assert about["A2"].value == "note\ufffdtwo"
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]  # fmt: skip
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    sheet = book.active
    assert sheet.title == "priority_areas" and sheet["A1"].value == "name"
    got = [sheet.cell(row=r, column=1) for r in range(2, 2 + len(frame))]
    for cell, text in zip(got, frame["name"], strict=True):
        assert cell.data_type == "s"
        # a workbook is XML, whose readers turn a carriage return into a line feed
        want = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", text).replace("\r", "\n")
        assert cell.value == want
    for key, text in PRINTABLE.items():
        assert got[list(HOSTILE).index(key)].value == text.replace("\r", "\n")
    values = [sheet.cell(row=r, column=2).value for r in range(2, 2 + len(frame))]
    assert values == frame["value"].tolist()  # numbers stay numbers


def test_xlsx_of_a_hostile_result_has_no_formula(written, evil):
    sheet = openpyxl.load_workbook(written / "priority_areas.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert cells and all(c.data_type == "s" for c in cells)
    shown = {c.value for c in cells}
    assert PRINTABLE["formula_eq"] + " #6" in shown and PRINTABLE["maths"] + " #13" in shown


# ---------------------------------------------------------------- CSV


def test_csv_text_cells_start_with_a_quote_numbers_stay_numbers(tmp_path):
    frame = _text_frame()
    path = tmp_path / "t.csv"
    report.write_csv_with_notes(frame, path, ["Title: x,=cmd|' /C calc'!A0", 'y, "@SUM(1)"'])
    lines = path.read_text(encoding="utf-8").split("\n")
    notes = [line for line in lines if line.startswith("# ")]
    assert "remove one leading '" in "".join(notes)
    for line in notes:  # a spreadsheet splitting a note at commas sees no formula
        for field in re.split("[,;]", line)[1:]:
            assert not field.lstrip(' "').startswith(TRIGGERS)
    back = pd.read_csv(path, skiprows=len(notes), keep_default_na=False)
    assert back["value"].dtype == float and back["value"].tolist() == frame["value"].tolist()
    for got, text in zip(back["name"], frame["name"], strict=True):
        assert got == ("'" + text if text.startswith((*TRIGGERS, "'")) else text)
        assert got.removeprefix("'") == text  # the documented way back
    raw = list(csv.reader(io.StringIO("\n".join(lines[len(notes) :]), newline="")))
    assert not [row[0] for row in raw[1:] if row and row[0].startswith(TRIGGERS)]


def test_csv_text_cells_touch_text_only_and_keep_the_input():
    frame = pd.DataFrame({"a": ["=1", "x", None], "b": [-1.5, 2.0, 3.0]}, index=["-i", "j", "k"])
    out = csv_text_cells(frame)
    assert out["a"].tolist()[:2] == ["'=1", "x"] and pd.isna(out["a"].iloc[2])
    assert out["b"].tolist() == [-1.5, 2.0, 3.0] and list(out.index) == ["'-i", "j", "k"]
    assert frame["a"].iloc[0] == "=1"


def test_every_csv_of_a_hostile_result_is_neutralised(written):
    for name, skip in [("priority_areas.csv", None), ("wards.csv", 0)]:
        text = (written / name).read_text(encoding="utf-8")
        if skip is None:
            skip = sum(line.startswith("# ") for line in text.splitlines())
        rows = list(csv.reader(io.StringIO(text.split("\n", skip)[-1], newline="")))
        header, body = rows[0], rows[1:]
        for col in ["area_name", "ward", "ward_code", "reason", "name"]:
            if col in header:
                i = header.index(col)
                cells = [r[i] for r in body]
                assert not [c for c in cells if c.startswith(TRIGGERS)], (name, col)
                assert any(c.startswith("'=") for c in cells), (name, col)


# ---------------------------------------------------------------- Markdown


def _md_files(out):
    return [out / "summary.md", out / "wards" / "README.md", *sorted((out / "wards").glob("*.md"))]


def test_markdown_shows_every_name_as_text(written, evil):
    for path in _md_files(written):
        text = path.read_text(encoding="utf-8")
        assert_not_evaluated(text)
        assert "<" not in text and ">" not in text, path.name  # no raw HTML from any name
        _assert_no_markup_but_ours(text, path.name)
    summary = (written / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith(f"# {md_text(evil.title)}\n")
    for _, row in evil.areas.head(10).iterrows():
        assert f"**{md_text(row['name'])}** ({md_text(row['ward_name'])}): " in summary
        assert md_text(row["reason"]) in summary
    tier1 = evil.assets.loc[evil.assets["tier"] == 1, "category"].iloc[0]
    assert md_text(tier1.replace("_", " ")) in summary


def test_ward_pages_escape_names_codes_and_links(written, evil):
    index = (written / "wards" / "README.md").read_text(encoding="utf-8")
    assert index.startswith(f"# Ward profiles: {md_text(PLACE)}\n")
    for code, ward in evil.wards.iterrows():
        stem = file_stem(code)
        page = (written / "wards" / f"{stem}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {md_text(ward['name'])} ({md_text(code)})\n")
        assert f"![map of {md_text(ward['name'])}]({stem}_map.png)" in page
        assert f"- [{md_text(ward['name'])}]({stem}.md): " in index
        assert (written / "wards" / f"{stem}_map.png").exists()
    pages = sorted(p.name for p in (written / "wards").glob("*.md"))
    assert len(pages) == len(evil.wards) + 1  # one per ward, none overwritten, and README.md
    shown = "".join(_shown(p.read_text(encoding="utf-8")) for p in _md_files(written))
    for key, name in PRINTABLE.items():
        assert clean_text(name).strip() in shown, key  # rendered, every name reads as typed


def test_national_index_and_summary_escape_every_name(tmp_path):
    names = hostile_names(len(HOSTILE))
    codes = [f"E0{i}" if i % 2 else name for i, name in enumerate(hostile_names(len(HOSTILE))[::-1])]  # fmt: skip
    summaries = pd.DataFrame(
        {
            "name": names, "rank": range(1, len(names) + 1), "national_risk_index": 1.0,
            "pct_pop_top_decile": 5.0, "extent": 0.1, "n_areas": 3,
            "pct_areas_access_measured": [0.0, 100.0] * (len(names) // 2) + [0.0] * (len(names) % 2),
        },
        index=codes,
    )  # fmt: skip
    failed = {HOSTILE["formula_eq"]: HOSTILE["markdown_link"]}
    cfg = SimpleNamespace(area_name=PLACE)
    national._write_index(
        tmp_path, cfg, summaries, failed, [HOSTILE["html_script"]],
        names={HOSTILE["formula_eq"]: HOSTILE["html_tag"]},
    )  # fmt: skip
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert_not_evaluated(page)
    parser = _Links()
    parser.feed(page)
    assert parser.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p",
                           "table", "tr", "th", "td", "a", "ul", "li"}  # fmt: skip
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+/(map\.html|summary\.md)|[a-z_]+\.csv", h) for h in parser.hrefs)  # fmt: skip
    assert {file_stem(c) + "/map.html" for c in codes} <= set(parser.hrefs)
    for name in names:
        assert clean_text(name) in parser.text and html_text(name) in page
    assert (
        f"{HOSTILE['formula_eq']} ({HOSTILE['html_tag']}): {HOSTILE['markdown_link']}"
        in parser.text
    )
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith(f"# {md_text(PLACE)}\n")
    failed_line = f"- failed {md_text(HOSTILE['formula_eq'])} ({md_text(HOSTILE['html_tag'])}): "
    assert failed_line + md_text(HOSTILE["markdown_link"]) in summary
    assert "<" not in summary
    _assert_no_markup_but_ours(summary, "summary.md")
    assert md_text(names[0]) in summary  # an authority whose access was not measured


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.hrefs, self.text = set(), [], ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]
        assert not [k for k, _ in attrs if k.startswith("on")]

    def handle_data(self, data):
        self.text += data


# ---------------------------------------------------------------- HTML index of write_maps_by


def test_maps_by_index_escapes_names_and_never_shares_a_file(evil, tmp_path, no_map):
    areas = evil.areas.copy()
    # two codes that differ only in punctuation used to be written to one file
    areas["ward_code"] = areas["ward_code"].where(areas.index != areas.index[0], "A-1")
    areas["ward_code"] = areas["ward_code"].where(areas.index != areas.index[1], "A_1")
    result = replace(evil, areas=areas)
    from inclusion_geo import pages

    index = pages.write_maps_by(result, tmp_path / "maps", by="ward_code", names="ward_name")
    page = index.read_text(encoding="utf-8")
    assert_not_evaluated(page)
    parser = _Links()
    parser.feed(page)
    assert parser.tags <= {"html", "head", "meta", "title", "body", "h1", "ul", "li", "a"}
    n_groups = areas["ward_code"].nunique()
    assert len(parser.hrefs) == n_groups == len(set(parser.hrefs))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.html", h) for h in parser.hrefs)
    assert len(list((tmp_path / "maps").glob("*.html"))) == n_groups + 1
    for name in areas["ward_name"].unique():
        assert clean_text(name) in parser.text


# ---------------------------------------------------------------- figures


@pytest.fixture
def drawn(monkeypatch):
    """Each figure's texts, read after a full draw and before it is saved."""
    seen = []
    save = figures._save

    def spy(fig, path, *, dpi):
        fig.canvas.draw()
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
        seen.append(
            {
                "title": fig.axes[0].get_title(),
                "texts": [t.get_text() for t in texts],
                "maths": [t.get_text() for t in texts if t.get_parse_math()],
            }
        )
        return save(fig, path, dpi=dpi)

    monkeypatch.setattr(figures, "_save", spy)
    return seen


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_figure_titles_are_literal(evil, drawn, tmp_path, key):
    name = HOSTILE[key]
    shown = clean_text(name)
    if key in PRINTABLE:  # a tab has no glyph: it is drawn as a space
        assert shown == name.replace("\t", " ")
    ward = evil.wards.iloc[0]
    domains = ward[[c for c in evil.wards if c.startswith("domain_")]]
    paths = [
        figures.score_distribution_png(evil.areas, tmp_path / "b.png", title=name),
        figures.ward_profile_png(ward, domains, tmp_path / "d.png", title=name),
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    assert [d["title"] for d in drawn] == [shown] * 2
    assert not [t for d in drawn for t in d["maths"]]  # no Text is parsed as maths


def test_maps_and_ward_bars_draw_hostile_names_literally(evil, drawn, tmp_path):
    title = " ".join(HOSTILE.values())
    some = evil.areas.iloc[:60]
    figures.choropleth_png(
        some, "risk_index", tmp_path / "a.png", title=title, outline=evil.ward_boundaries,
        points=evil.assets,
    )  # fmt: skip
    figures.domain_contributions_png(
        evil.wards, evil.recipe._domain_shares(), tmp_path / "c.png", title=title
    )
    assert [d["title"] for d in drawn] == [clean_text(title)] * 2
    assert not [t for d in drawn for t in d["maths"]]
    # every ward name (each a hostile string) is a tick label, as written
    assert {clean_text(n) for n in evil.wards["name"]} <= set(drawn[1]["texts"])
    assert (tmp_path / "a.png").exists() and (tmp_path / "c.png").exists()


def test_maths_in_a_title_is_text(evil, drawn, tmp_path):
    figures.score_distribution_png(evil.areas, tmp_path / "m.png", title=MATHS)
    assert drawn[0]["title"] == MATHS


def test_report_figures_of_a_hostile_result(written):
    for png in ["score_distribution.png", "domain_contributions.png"]:
        assert (written / "figures" / png).read_bytes()[:4] == b"\x89PNG"
