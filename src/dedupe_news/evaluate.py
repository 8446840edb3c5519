"""Score a predicted clustering of articles against a ground-truth clustering.

Every metric here (pairwise precision/recall/F1, B-cubed precision/recall/F1
and the adjusted Rand index) is a function of the *contingency table*: the
count ``n_ij`` of articles that sit in true cluster ``i`` and predicted
cluster ``j``. We build that table as a SciPy sparse matrix, whose non-zero
cells number at most ``n``, so scoring is linear in the number of articles
instead of the quadratic cost of enumerating article pairs. Encoding the
labels is linear too (a hash map, or a lookup table for integer arrays), so a
million articles with integer labels score in a fraction of a second.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Set, Sized
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .errors import InputError

__all__ = ["Evaluation", "evaluate"]

IntArray = npt.NDArray[np.intp]

_ALLOWED = (
    "a sequence of hashable labels (list, tuple, 1-D numpy array, pandas Series, ...), "
    "one label per article"
)


@dataclass(frozen=True)
class Evaluation:
    """Scores of a predicted clustering against the true one (see :func:`evaluate`)."""

    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    ari: float
    n_articles: int
    n_true_clusters: int
    n_predicted_clusters: int

    def to_dict(self) -> dict[str, float | int]:
        """Return the fields as a plain ``dict`` (field order preserved)."""
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"ARI {self.ari:.3f} \u00b7 "
            f"pair P/R/F1 {self.pair_precision:.2f}/{self.pair_recall:.2f}/{self.pair_f1:.2f}"
            f" \u00b7 B\u00b3 F1 {self.bcubed_f1:.2f} \u00b7 "
            f"{self.n_true_clusters} true / {self.n_predicted_clusters} predicted clusters"
            f" \u00b7 {self.n_articles} articles"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("pairwise", self.pair_precision, self.pair_recall, self.pair_f1),
            ("B\u00b3", self.bcubed_precision, self.bcubed_recall, self.bcubed_f1),
        ]
        body = "".join(
            f"<tr><th>{html.escape(name)}</th><td>{p:.3f}</td><td>{r:.3f}</td><td>{f:.3f}</td></tr>"
            for name, p, r, f in rows
        )
        return (
            "<table>"
            f"<caption>{self.n_articles} articles \u00b7 {self.n_true_clusters} true / "
            f"{self.n_predicted_clusters} predicted clusters</caption>"
            "<tr><th></th><th>precision</th><th>recall</th><th>F1</th></tr>"
            f"{body}"
            f'<tr><th>ARI</th><td colspan="3">{self.ari:.3f}</td></tr>'
            "</table>"
        )


def evaluate(true_labels: Iterable[Any], predicted_labels: Iterable[Any]) -> Evaluation:
    """Compare a predicted clustering of articles with the true clustering.

    Parameters
    ----------
    true_labels, predicted_labels : sequence of hashable
        One label per article, in the same article order (list, tuple, 1-D
        numpy array, pandas Series, ...). Labels may be any hashable values,
        mixed types and ``None`` included; they are compared by equality
        within each sequence (all NaNs count as one label), and the two
        sequences' label vocabularies are unrelated.

    Returns
    -------
    Evaluation
        Pairwise and B-cubed precision/recall/F1, the adjusted Rand index and
        the article and cluster counts.

    Raises
    ------
    InputError
        If an argument is not a sequence of hashable labels (e.g. a bare
        string, ``None``, a set or a generator) or the lengths differ.

    Notes
    -----
    Pairwise scores count unordered pairs of articles: precision is the share
    of pairs grouped together in the prediction that are together in the
    truth, recall the converse. B-cubed precision averages over articles
    ``|pred(i) & true(i)| / |pred(i)|`` (recall: divide by ``|true(i)|``).
    F1 is the harmonic mean of precision and recall. Conventions:

    * no predicted pairs (all predicted singletons): pair precision is 1.0;
      no true pairs: pair recall is 1.0; F1 is 0.0 if both P and R are 0.
    * ``ari`` equals :func:`sklearn.metrics.adjusted_rand_score`, including
      its convention of 1.0 when the partitions agree on every pair (e.g.
      both all singletons).
    * empty input (0 articles): every score is 1.0 and there are 0 clusters.

    Examples
    --------
    >>> from dedupe_news import evaluate
    >>> ev = evaluate([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])
    >>> ev.pair_precision, ev.pair_recall, round(ev.ari, 4)
    (0.5, 0.5, 0.1667)
    >>> print(ev)
    ARI 0.167 · pair P/R/F1 0.50/0.50/0.50 · B³ F1 0.73 · 2 true / 2 predicted clusters · 5 articles
    """
    true_items = _as_label_sequence(true_labels, "true_labels")
    pred_items = _as_label_sequence(predicted_labels, "predicted_labels")
    if len(true_items) != len(pred_items):
        raise InputError(
            "true_labels and predicted_labels must have the same length (one label per "
            f"article); got {len(true_items)} and {len(pred_items)}"
        )
    true_codes, n_true = _encode(true_items, "true_labels")
    pred_codes, n_pred = _encode(pred_items, "predicted_labels")
    n = len(true_codes)

    # Contingency table: cell (i, j) counts articles in true cluster i and
    # predicted cluster j. Only non-empty cells are stored (at most n of them).
    table = sp.csr_matrix(
        (np.ones(n, dtype=np.int64), (true_codes, pred_codes)), shape=(n_true, n_pred)
    )
    table.sum_duplicates()
    cells = table.data.astype(np.int64)  # n_ij of each non-empty cell
    cell_rows = np.repeat(np.arange(n_true), np.diff(table.indptr))
    cell_cols = table.indices
    true_sizes = np.bincount(true_codes, minlength=n_true).astype(np.int64)
    pred_sizes = np.bincount(pred_codes, minlength=n_pred).astype(np.int64)

    # Pairwise counts over unordered pairs, as exact Python ints.
    tp = _pairs(cells)
    true_pairs = _pairs(true_sizes)
    pred_pairs = _pairs(pred_sizes)
    fp = pred_pairs - tp
    fn = true_pairs - tp
    tn = n * (n - 1) // 2 - tp - fp - fn
    pair_precision = tp / pred_pairs if pred_pairs else 1.0
    pair_recall = tp / true_pairs if true_pairs else 1.0

    # Same expression as sklearn's adjusted_rand_score. It is scale-free, and
    # sklearn's ordered-pair counts are exactly twice ours, so results agree
    # bit for bit.
    if fn == 0 and fp == 0:
        ari = 1.0
    else:
        ari = 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))

    # B-cubed: the n_ij articles of a cell each score n_ij / |cluster|.
    if n:
        squares = cells.astype(np.float64) ** 2
        bcubed_precision = float(np.sum(squares / pred_sizes[cell_cols])) / n
        bcubed_recall = float(np.sum(squares / true_sizes[cell_rows])) / n
    else:
        bcubed_precision = bcubed_recall = 1.0

    return Evaluation(
        pair_precision=float(pair_precision),
        pair_recall=float(pair_recall),
        pair_f1=_harmonic_mean(pair_precision, pair_recall),
        bcubed_precision=bcubed_precision,
        bcubed_recall=bcubed_recall,
        bcubed_f1=_harmonic_mean(bcubed_precision, bcubed_recall),
        ari=float(ari),
        n_articles=n,
        n_true_clusters=n_true,
        n_predicted_clusters=n_pred,
    )


def _pairs(sizes: npt.NDArray[np.int64]) -> int:
    """Number of unordered pairs within groups of the given sizes."""
    return int(np.sum(sizes * (sizes - 1) // 2))


def _harmonic_mean(precision: float, recall: float) -> float:
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _as_label_sequence(labels: object, name: str) -> np.ndarray[Any, Any] | list[Any]:
    """Validate the container and return it as a 1-D array or a list."""
    problem = ""
    if labels is None:
        problem = "got None"
    elif isinstance(labels, (str, bytes, bytearray)):
        problem = f"got a bare {type(labels).__name__} (wrap a single label in a list)"
    elif isinstance(labels, (Mapping, Set)):
        problem = f"got a {type(labels).__name__}, which has no article order"
    elif hasattr(labels, "__array__"):  # numpy arrays, pandas Series, ...
        array = np.asarray(labels)
        if array.ndim == 1:
            return array
        problem = f"got an array of shape {array.shape}"
    elif isinstance(labels, Sized) and isinstance(labels, Iterable):
        return list(labels)
    else:
        hint = " (call list() on it first)" if hasattr(labels, "__next__") else ""
        problem = f"got {type(labels).__name__}{hint}"
    raise InputError(f"{name} must be {_ALLOWED}; {problem}")


def _encode(labels: np.ndarray[Any, Any] | list[Any], name: str) -> tuple[IntArray, int]:
    """Map labels to codes ``0..k-1`` (equal labels, equal codes); return codes and k."""
    if isinstance(labels, list) and labels and isinstance(labels[0], (int, np.integer)):
        try:  # a list of plain integers converts cheaply and takes the fast path below
            as_array = np.asarray(labels)
        except (ValueError, TypeError):
            as_array = None
        if as_array is not None and as_array.ndim == 1 and as_array.dtype.kind in "biu":
            labels = as_array
    if isinstance(labels, np.ndarray):
        if labels.dtype.kind in "biu" and (encoded := _encode_dense_integers(labels)):
            return encoded
        if labels.dtype.kind in "biuf":
            uniques, codes = np.unique(labels, return_inverse=True)  # groups NaNs
            return codes.astype(np.intp).reshape(-1), len(uniques)
        labels = labels.tolist()  # str, object, datetime, ... arrays: hash Python values

    code_of: dict[Any, int] = {}
    try:
        codes = np.fromiter(
            (code_of.setdefault(label, len(code_of)) for label in labels),
            dtype=np.intp,
            count=len(labels),
        )
    except TypeError:
        for index, label in enumerate(labels):
            try:
                hash(label)
            except TypeError:
                raise InputError(
                    f"{name}[{index}] is an unhashable {type(label).__name__} ({label!r:.50}); "
                    "labels must be hashable values such as int, str, tuple or None"
                ) from None
        raise
    return _merge_nans(codes, code_of)


def _encode_dense_integers(labels: np.ndarray[Any, Any]) -> tuple[IntArray, int] | None:
    """Encode integers in O(n) via a lookup table, or None if their range is too wide."""
    if labels.dtype.kind == "b":
        labels = labels.astype(np.uint8)
    elif labels.dtype.kind == "i":
        labels = labels.astype(np.int64)  # so that subtracting the minimum cannot overflow
    if labels.size == 0:
        return np.zeros(0, dtype=np.intp), 0
    low = labels.min()
    span = int(labels.max()) - int(low) + 1
    if span > 4 * labels.size:
        return None
    offsets = (labels - low).astype(np.intp)
    present = np.zeros(span, dtype=bool)
    present[offsets] = True
    code_of_offset = np.cumsum(present, dtype=np.intp) - 1
    return code_of_offset[offsets], int(code_of_offset[-1]) + 1


def _merge_nans(codes: IntArray, code_of: dict[Any, int]) -> tuple[IntArray, int]:
    """Give all NaN labels one code (distinct NaN objects are unequal in a dict)."""
    nan_codes = [
        code
        for label, code in code_of.items()
        if isinstance(label, (float, np.floating)) and math.isnan(label)
    ]
    if len(nan_codes) <= 1:
        return codes, len(code_of)
    lookup = np.arange(len(code_of), dtype=np.intp)
    lookup[nan_codes] = nan_codes[0]
    uniques, lookup = np.unique(lookup, return_inverse=True)
    return lookup.astype(np.intp)[codes], len(uniques)
