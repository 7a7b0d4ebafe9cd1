"""examples/quickstart.ipynb runs top to bottom on the real MNIST, offline, and shows what it promises."""

from __future__ import annotations

import json
import os
import re

import pytest
from conftest import REPO

NOTEBOOK = REPO / "examples" / "quickstart.ipynb"


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert "".join(code[0]["source"]) == "import numpy as np\nimport matplotlib.pyplot as plt\nimport mnistlab as ml"


def test_notebook_runs_top_to_bottom(shared_mnist, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # The kernel is a child process: it inherits these. Its runs/ folder goes to tmp_path.
    monkeypatch.setenv("MNISTLAB_DATA_DIR", str(shared_mnist))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises on any error
    finally:
        nbformat.write(nb, tmp_path / "executed.ipynb")  # what ran, to read when it fails

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    tables = [o for o in outputs if "<table" in o.get("data", {}).get("text/html", "")]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert len(pictures) >= 2, "the notebook should show pictures inline"
    samples = next(c for c in nb.cells if "ml.show_samples(" in c.source)  # before pyplot made any figure
    assert any("image/png" in o.get("data", {}) for o in samples.outputs), "a returned Figure drew as text"
    assert len(tables) >= 2, "the notebook should show rich tables"
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", printed).group(1))
    assert accuracy >= 0.99
    assert "the same as the default recipe: True" in printed
    assert "the network reads: 7" in printed
    assert (tmp_path / "runs").is_dir()


def test_korean_notebook_is_the_english_one_with_korean_text():
    """examples/quickstart.ko.ipynb: the same code cells (training and the report in Korean), committed without outputs,
    its markdown in Korean with the notes' terms. Not run here: it would train the same two runs again."""
    en = json.loads(NOTEBOOK.read_text())
    ko = json.loads((REPO / "examples" / "quickstart.ko.ipynb").read_text())
    code = [["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"] for nb in (en, ko)]
    korean = {"ml.report(run, dataset=mnist)": 'ml.report(run, dataset=mnist, lang="ko")',
              "target_accuracy=0.99)": 'target_accuracy=0.99, lang="ko")',
              "shuffle=True)\n": 'shuffle=True,\n                     lang="ko")\n'}
    for english, ko_code in zip(code[0], code[1]):
        for words, in_korean in korean.items():
            english = english.replace(words, in_korean)
        assert english == ko_code
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in ko["cells"] if c["cell_type"] == "code")
    assert [c["cell_type"] for c in en["cells"]] == [c["cell_type"] for c in ko["cells"]]
    text = "".join("".join(c["source"]) for c in ko["cells"] if c["cell_type"] == "markdown")
    for term in ("필터", "커널 사이즈", "스트라이드", "패딩", "활성화 함수", "에폭", "배치", "셔플", "소프트맥스",
                 "시그모이드", "교차 엔트로피"):
        assert term in text, term
