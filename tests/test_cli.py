import re
import subprocess
import sys

import pandas as pd
import pytest

from inclusion_geo.cli import main
from inclusion_geo.report import OUTPUT_MARKER


def test_run_writes_every_output(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["run", "--out", str(out), "--permutations", "99"]) == 0
    printed = capsys.readouterr().out
    for name in [
        "map.html",
        "priority_areas.csv",
        "priority_areas.xlsx",
        "wards.csv",
        "summary.md",
    ]:
        assert (out / name).exists()
        assert str(out / name) in printed
    text = (out / "priority_areas.csv").read_text().splitlines()
    assert text[0].startswith("# ") and "synthetic demo data" in text[0]
    notes = [line for line in text if line.startswith("# ")]
    assert notes[-1].endswith(f"skiprows={len(notes)}).")
    table = pd.read_csv(out / "priority_areas.csv", skiprows=len(notes))
    assert len(table) == 320 and table["priority_rank"].is_monotonic_increasing
    assert (table["data_label"] == "synthetic demo data").all()
    wards = pd.read_csv(out / "wards.csv")
    assert len(wards) == 20 and wards["population"].sum() == table["population"].sum()
    about = pd.read_excel(out / "priority_areas.xlsx", sheet_name="about", header=None)
    assert "synthetic demo data" in str(about.iloc[0, 0])
    sheet = pd.read_excel(out / "priority_areas.xlsx", sheet_name="priority_areas")
    assert list(sheet.columns) == list(table.columns) and len(sheet) == 320
    assert (out / "columns.csv").exists() and str(out / "columns.csv") in printed
    for png in ["risk_map.png", "score_distribution.png", "domain_contributions.png"]:
        assert (out / "figures" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pages = sorted((out / "wards").glob("X05*.md"))
    assert len(pages) == 20 and (out / "wards" / "README.md").exists()
    page = pages[0].read_text()
    assert "## Priority areas" in page and "_domains.png" in page and "synthetic demo data" in page
    # every output that carries a headcount says it is a modelled estimate (issue [3/6])
    assert "adults here are likely offline" in page and "modelled estimates, not counts" in page
    assert any("modelled estimates, not counts" in n for n in notes)
    assert "modelled estimates, not counts" in (out / "summary.md").read_text()
    for plan in ["site_plan.csv", "closure.csv", "popup_rota.csv"]:
        assert "modelled estimates, not counts" in (out / plan).read_text().splitlines()[1]
    assert (out / "wards" / pages[0].name.replace(".md", "_map.png")).exists()


def test_outputs_are_the_same_written_by_one_process_or_three(tmp_path):
    """--workers 1 writes everything in this process; --workers 3 draws the ward pages, the
    map and the charts in a worker process. Every file is the same."""
    from openpyxl import load_workbook

    one, three = tmp_path / "one", tmp_path / "three"
    assert main(["run", "--out", str(one), "--permutations", "0", "--workers", "1", "--quiet"]) == 0
    assert (
        main(["run", "--out", str(three), "--permutations", "0", "--workers", "3", "--quiet"]) == 0
    )
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(three) for p in three.rglob("*") if p.is_file())
    assert any(f.suffix == ".png" for f in files) and any(f.parent.name == "wards" for f in files)
    for name in files:
        if name.suffix == ".xlsx":  # the workbook records when it was written
            a, b = load_workbook(one / name), load_workbook(three / name)
            assert a.sheetnames == b.sheetnames
            for sheet in a.sheetnames:
                assert list(a[sheet].values) == list(b[sheet].values), (name, sheet)
        elif name.suffix == ".html":  # folium names each element with a random id
            ids = re.compile(r"_[0-9a-f]{32}")
            a, b = ((one / name).read_text(), (three / name).read_text())
            assert ids.sub("_id", a) == ids.sub("_id", b)
        elif name.suffix in (".csv", ".md"):  # plans say how long the solver took
            took = re.compile(r"\b[\d.]+ s\b")
            a, b = ((one / name).read_text(), (three / name).read_text())
            assert took.sub("t s", a) == took.sub("t s", b), name
        elif name.name != OUTPUT_MARKER:
            assert (one / name).read_bytes() == (three / name).read_bytes(), name


def test_rerun_into_its_own_output_folder_replaces_it(tmp_path):
    out = tmp_path / "demo"
    assert main(["run", "--out", str(out), "--permutations", "0"]) == 0
    (out / "map.html").write_text("stale")
    assert main(["run", "--out", str(out), "--permutations", "0"]) == 0
    assert (out / "map.html").read_text() != "stale"
    assert (out / OUTPUT_MARKER).exists()


def test_refuses_a_folder_of_unrelated_files(tmp_path, capsys):
    (tmp_path / "thesis.docx").write_text("precious")
    assert main(["run", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "thesis.docx" in err and "inclusion-geo did not write" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.docx"]


def test_refuses_a_file_and_an_unwritable_place(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["run", "--out", str(f)]) == 1
    assert "is a file" in capsys.readouterr().err
    # a place that cannot be written to, even by root: a file in the way of the parent folder
    assert main(["run", "--out", str(f / "sub" / "x")]) == 1
    assert f"{f} is a file, not a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_nothing_half_written_on_failure(tmp_path, monkeypatch):
    import inclusion_geo.tables as tables

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(tables, "_write_xlsx", boom)
    assert main(["run", "--out", str(tmp_path / "out"), "--permutations", "0"]) == 1
    assert list(tmp_path.iterdir()) == []


def test_bad_options_exit_non_zero_with_a_message():
    for args in (
        ["run"],
        ["run", "--out", "x", "--colour", "red"],
        ["fly"],
        ["run", "--out", "x", "--tiles", "google"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "inclusion_geo.cli", *args], capture_output=True, text=True
        )
        assert proc.returncode == 2
        assert "error" in proc.stderr
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0


# ---------------------------------------------------------------- progress, --quiet, --help


@pytest.fixture
def no_writing(monkeypatch):
    """Runs that skip writing files (the progress lines are what is tested)."""
    import inclusion_geo.report as report

    def fake(result, out, **kwargs):
        return {}

    monkeypatch.setattr(report, "write_outputs", fake)


def test_progress_prints_one_line_per_stage_on_stderr(tmp_path, capsys, no_writing):
    assert main(["run", "--out", str(tmp_path / "o"), "--permutations", "0"]) == 0
    err = capsys.readouterr().err.splitlines()
    stages = [line for line in err if "…" in line]
    assert [s.split("…")[0] for s in stages] == [
        "scoring the demo borough",
        "planning sites, a closure and pop-ups",
        "writing outputs",
    ]
    for line in stages:
        assert re.fullmatch(r".+… \d+\.\d s", line), line


def test_quiet_silences_progress_but_not_warnings(tmp_path, capsys, no_writing, monkeypatch):
    import warnings

    import inclusion_geo.pipeline as pipeline

    real = pipeline.run_demo

    def warns(*args, **kwargs):
        warnings.warn("a data-quality caveat", UserWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run_demo", warns)
    assert main(["run", "--out", str(tmp_path / "o"), "--permutations", "0", "--quiet"]) == 0
    out = capsys.readouterr()
    assert "…" not in out.err and "scoring" not in out.err
    assert "inclusion-geo: warning: a data-quality caveat" in out.err
    assert "done in" in out.out


def test_progress_uses_a_bar_on_a_terminal_and_nothing_when_quiet():
    import io

    from inclusion_geo.cli import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress(stream=stream, total=2)
    with progress.stage("loading inputs"):
        pass
    with progress.stage("scoring"):
        pass
    progress.close()
    text = stream.getvalue()
    assert "loading inputs… " in text and "scoring… " in text
    assert "stage" in text and "\r" in text  # tqdm's bar, redrawn in place
    quiet = Terminal()
    with Progress(stream=quiet, quiet=True).stage("scoring"):
        pass
    assert quiet.getvalue() == ""
    plain = io.StringIO()
    with pytest.raises(RuntimeError):
        with Progress(stream=plain).stage("writing outputs"):
            raise RuntimeError("disk full")
    assert plain.getvalue() == "writing outputs… stopped\n"


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["assets", "--help"]])
def test_help_prints_single_percent_signs(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "%%" not in text
    if argv == ["--help"]:
        assert "100% Digital Leeds" in text
    if argv[0] == "run":
        assert "--quiet" in text
