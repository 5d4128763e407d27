"""The notebooks: committed without outputs, and they run top to bottom (slow: real models)."""

from __future__ import annotations

import pytest

from conftest import ROOT, SHARED

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_committed_without_outputs():
    import nbformat

    assert [p.name for p in NOTEBOOKS] == ["01-quickstart.ipynb", "02-your-own-data.ipynb"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


def _run(path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path):
    nb = _run(ROOT / "notebooks" / "01-quickstart.ipynb")
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "outcome_share" in text and "NPS" in text or "nps" in text
    assert any("image/svg+xml" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_your_own_data_notebook_runs():
    if not SHARED.is_dir():
        pytest.skip(f"the notebook's example files live in {SHARED}, which is absent")
    nb = _run(ROOT / "notebooks" / "02-your-own-data.ipynb")
    last = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("retrained" in str(o.get("data", {}).get("text/plain", "")) for o in last)
