"""Every notebook runs top to bottom; a failing cell fails the test."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize(
    "name", ["01_quickstart.ipynb", "02_leeds_stage_two.ipynb", "03_custom_recipe.ipynb"]
)
def test_notebook_runs(name, shared_data, monkeypatch):
    monkeypatch.setenv("INCLUSION_GEO_SHARED_DATA", str(shared_data))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
