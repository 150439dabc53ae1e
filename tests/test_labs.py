"""The teaching labs in docs/labs run top to bottom (every exercise's check included)."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

LABS = sorted((Path(__file__).resolve().parent.parent / "docs" / "labs").glob("*.ipynb"))


def test_the_labs_are_there():
    assert len(LABS) >= 3


@pytest.mark.slow              # a Jupyter kernel per lab: 5-30 s each
@pytest.mark.parametrize("path", LABS, ids=[p.stem for p in LABS])
def test_lab_runs_top_to_bottom(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()           # raises CellExecutionError, with the cell, on any failure
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert not [out for cell in code for out in cell.get("outputs", [])
                if out.get("output_type") == "error"]
