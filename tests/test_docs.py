"""The docs describe the code as it is: the API reference is generated and complete, and the
validation table is what the library computes."""

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_api_reference_is_up_to_date_and_complete():
    spec = importlib.util.spec_from_file_location("make_api", REPO / "docs" / "make_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render()
    assert (REPO / "docs" / "api.md").read_text() == rendered, "run: python docs/make_api.py"
    for name in module.MODULES:
        mod = importlib.import_module(name)
        for public in mod.__all__:
            if not public.startswith("__"):
                assert f"### `{public}" in rendered


def test_readme_links_exist():
    text = (REPO / "README.md").read_text()
    for link in re.findall(r"\]\(((?:docs/|CHANGELOG)[^)#]+)\)", text):
        assert (REPO / link).exists(), link


@pytest.mark.shared_data
def test_validation_table_matches_the_docs(shared_data):
    import warnings

    from inclusion_geo.diagnostics import validation_table
    from inclusion_geo.runner import run_config
    from inclusion_geo.sources import load_caci_vulnerability, load_deri, load_iuc

    config = REPO / "examples" / "leeds.toml"
    text = config.read_text().replace("../../shared/data", str(shared_data))
    path = REPO / "test-artifacts" / "leeds-validation.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = run_config(path)
    ref = shared_data / "digital-exclusion-reference"
    table = validation_table(
        result.areas["risk_index"],
        deri=load_deri(ref / "england_lsoa_depahri.rda")["deri_score"],
        caci=load_caci_vulnerability(ref / "digital-exclusion-lsoa.csv")["score"],
        iuc_group=load_iuc(ref / "iuc2018.csv")["group"],
    )
    doc = (REPO / "docs" / "validation.md").read_text()
    rows = re.findall(
        r"^\| ([^|]+?) \| (Spearman rho|ROC AUC) \| ([0-9.]+) \| ([0-9.—]+) \|$", doc, re.M
    )
    assert len(rows) == 3
    for (_, measure, value, overlap), (_, row) in zip(rows, table.iterrows(), strict=True):
        assert row["measure"] == measure
        assert abs(row["value"] - float(value)) <= 0.001
        if overlap != "—":
            assert abs(row["top_20pct_overlap"] - float(overlap)) <= 0.001
