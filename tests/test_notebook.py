"""The example notebook (docs/example_notebook.py, a jupytext script) runs without error."""

from __future__ import annotations

import pytest

from helpers import REPO as ROOT

NOTEBOOK = ROOT / "docs" / "example_notebook.py"


@pytest.mark.slow
def test_example_notebook_executes(tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel uses Jupyter's inline backend
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    notebook = jupytext.read(NOTEBOOK)
    client = nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError (with the cell and traceback) on any error
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 6, "every plt.show() cell draws a figure inline"
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "GO:0002040_SPROUTING_ANGIOGENESIS" in text  # the panel's GSEA table is shown


def test_notebook_uses_public_api_only():
    source = NOTEBOOK.read_text()
    assert "._" not in source.replace("...", ""), "no private modules or functions in the example"
    assert "import omics" in source
