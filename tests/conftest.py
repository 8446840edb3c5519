"""Shared fixtures: the bundled seeds and their labels, and the shared labelled data."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import settings

from dedupe_news import Article, read_articles, seeds_path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# CI runs the same examples every time (a failure there is reproducible from its log); local
# runs keep exploring new ones. .ci/run sets HYPOTHESIS_PROFILE=ci.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# tests/corpus.py is importable from every test module as ``corpus``.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture(scope="session")
def seed_articles() -> list[Article]:
    """The five bundled sample articles, as ``read_articles`` gives them."""
    return read_articles(seeds_path())


@pytest.fixture(scope="session")
def seed_labels() -> dict[str, Any]:
    """``labels.json`` of the seeds: ``{"story": {id: label}, "event": {id: label}, ...}``."""
    data: dict[str, Any] = json.loads((seeds_path() / "labels.json").read_text(encoding="utf-8"))
    return data


def shared_data_dir() -> Path:
    """``../shared/data`` next to the repository, or skip the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"labelled data not found at {SHARED_DATA} (../shared/data next to the repo)")
    return SHARED_DATA


@pytest.fixture
def shared_data() -> Path:
    """Folder of the labelled real-news sets (``<name>/<name>.jsonl``); skips when absent."""
    return shared_data_dir()


def labelled_set(name: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """A labelled real-news set: its records without the label, and the labels (the true
    story of each). Skips the test when the set is absent."""
    path = shared_data_dir() / name / f"{name}.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return records, [record.pop("cluster") for record in records]


def reversed_columns(matrix: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    """The same matrix as CSR with each row's columns stored in descending order (not the
    canonical order), for checking that results do not depend on the stored order."""
    out = sp.csr_matrix(matrix, copy=True)
    for row in range(out.shape[0]):
        start, end = out.indptr[row], out.indptr[row + 1]
        out.indices[start:end] = out.indices[start:end][::-1].copy()
        out.data[start:end] = out.data[start:end][::-1].copy()
    out.has_sorted_indices = False
    return out
