"""examples/explore.ipynb is committed clean: no outputs, the standard kernel, valid JSON.

Executing it is ``pytest --nbmake examples/explore.ipynb`` (``make test``); this keeps stale
outputs and execution counts out of the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

from dedupe_news import read_articles, seeds_path

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "explore.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == []
        assert cell["execution_count"] is None


def test_notebook_names_existing_seed_articles() -> None:
    source = NOTEBOOK.read_text(encoding="utf-8")
    for article in read_articles(seeds_path())[:4]:  # the Harris and Sullivan pairs
        assert f'\\"{article.id}\\"' in source
