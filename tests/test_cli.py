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
    xlsx = pd.read_excel(out / "priority_areas.xlsx", header=None)
    assert "synthetic demo data" in str(xlsx.iloc[0, 0])
    for png in ["risk_map.png", "score_distribution.png", "domain_contributions.png"]:
        assert (out / "figures" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pages = sorted((out / "wards").glob("X05*.md"))
    assert len(pages) == 20 and (out / "wards" / "README.md").exists()
    page = pages[0].read_text()
    assert "## Priority areas" in page and "_domains.png" in page and "synthetic demo data" in page
    assert (out / "wards" / pages[0].name.replace(".md", "_map.png")).exists()


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
    import inclusion_geo.report as report

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(report, "_write_xlsx", boom)
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
