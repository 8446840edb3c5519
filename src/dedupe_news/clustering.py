"""Graph clustering of scored edges without chaining: average linkage along the candidate graph.

Connected components let one strong bridge edge merge two stories. Here two clusters that touch
through a verified edge merge only while the *mean* cosine over all pairs of their members is at
least the threshold, so a single bridge between stories of sizes p and q carries 1 / (p * q) of
the decision. Since the vectors are L2-normalized, that mean is exact and cheap: the dot product
of the two clusters' summed vectors divided by p * q. Pairs the candidate stage never proposed
therefore still count with their true similarity; the candidate graph only decides which
clusters are compared (average linkage under a connectivity constraint).

Nodes carry weights, so a group of identical articles collapsed into one node counts as all of
its copies. Ties are broken by node index; callers pass nodes in a canonical order so results
do not depend on input order.
"""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["average_linkage"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_SparseVector = tuple[npt.NDArray[np.int32], F64]  # sorted column indices, values


def _dots(center: _SparseVector, others: list[_SparseVector], scratch: F64) -> F64:
    """Dot product of ``center`` with each of ``others``, in one vectorized pass.

    ``scratch`` is a zeroed dense buffer as long as the vectors; it is left zeroed.
    """
    if not others:
        return np.empty(0, dtype=np.float64)
    lengths = np.fromiter((o[0].size for o in others), dtype=np.int64, count=len(others))
    columns = np.concatenate([o[0] for o in others])
    values = np.concatenate([o[1] for o in others])
    scratch[center[0]] = center[1]
    products = values * scratch[columns]
    scratch[center[0]] = 0.0
    group = np.repeat(np.arange(len(others)), lengths)
    return np.bincount(group, weights=products, minlength=len(others)).astype(np.float64)


def _add(u: _SparseVector, v: _SparseVector) -> _SparseVector:
    columns, inverse = np.unique(np.concatenate((u[0], v[0])), return_inverse=True)
    values = np.bincount(inverse.ravel(), weights=np.concatenate((u[1], v[1])))
    return columns.astype(np.int32), values.astype(np.float64)


def average_linkage(
    vectors: sp.csr_matrix,
    edges: I64,
    scores: F64,
    threshold: float,
    weights: I64 | None = None,
) -> I64:
    """Cluster label per node: the index of one node of its cluster.

    Parameters
    ----------
    vectors : (n, d) CSR matrix
        L2-normalized rows; ``vectors[i] @ vectors[j]`` is the similarity of nodes i and j.
    edges : (m, 2) int array
        Distinct verified pairs ``(i, j)``, ``i < j``: the clusters that may be compared.
    scores : (m,) float array
        Similarity of each edge (the rows' dot product).
    threshold : float
        Merge two adjacent clusters while their mean pairwise similarity is >= threshold.
    weights : (n,) int array, optional
        Multiplicity of each node (default 1).
    """
    n = vectors.shape[0]
    size = np.ones(n, dtype=np.float64) if weights is None else weights.astype(np.float64)
    vectors = vectors.tocsr()
    scratch = np.zeros(vectors.shape[1], dtype=np.float64)
    sums: dict[int, _SparseVector] = {}

    def summed(c: int) -> _SparseVector:
        """Weighted sum of the member vectors of cluster c (singletons computed lazily)."""
        if c not in sums:
            start, end = vectors.indptr[c], vectors.indptr[c + 1]
            sums[c] = (
                vectors.indices[start:end].astype(np.int32),
                vectors.data[start:end].astype(np.float64) * size[c],
            )
        return sums[c]

    # links[c][d]: exact sum over member pairs (u in c, v in d) of weight_u * weight_v * sim_uv.
    links: dict[int, dict[int, float]] = {}
    for (i, j), s in zip(edges.tolist(), scores.tolist(), strict=True):
        w = s * size[i] * size[j]
        links.setdefault(i, {})[j] = w
        links.setdefault(j, {})[i] = w

    version = [0] * n

    def push(c: int, d: int) -> None:
        a, b = (c, d) if c < d else (d, c)
        mean = links[a][b] / (size[a] * size[b])
        if mean >= threshold:
            heapq.heappush(heap, (-mean, a, b, version[a], version[b]))

    # At first every cluster is one node: the means of all edges at once (the same float
    # operations as push), heapified in one go.
    if len(edges):
        wa, wb = size[edges[:, 0]], size[edges[:, 1]]
        means = scores * wa * wb / (wa * wb)
    else:
        means = np.empty(0)
    ranked = means >= threshold
    heap = [
        (-m, a, b, 0, 0)
        for (a, b), m in zip(edges[ranked].tolist(), means[ranked].tolist(), strict=True)
    ]
    heapq.heapify(heap)

    parent = np.arange(n, dtype=np.int64)
    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb:
            continue  # stale: a side has merged since this entry was pushed
        # Fold the cluster with fewer neighbours into the other: each merge costs the smaller
        # degree.
        keep, gone = (a, b) if len(links[a]) >= len(links[b]) else (b, a)
        keep_links, gone_links = links[keep], links.pop(gone)
        del keep_links[gone]
        # Pairs that had no edge still count with their true similarity, computed in bulk.
        only_keep = [o for o in keep_links if o not in gone_links]
        only_gone = [o for o in gone_links if o != keep and o not in keep_links]
        both = [o for o in gone_links if o != keep and o in keep_links]
        gone_dots = _dots(summed(gone), [summed(o) for o in only_keep], scratch)
        keep_dots = _dots(summed(keep), [summed(o) for o in only_gone], scratch)
        for other, dot in zip(only_keep, gone_dots.tolist(), strict=True):
            keep_links[other] += dot
        for other, dot in zip(only_gone, keep_dots.tolist(), strict=True):
            keep_links[other] = gone_links[other] + dot
        for other in both:
            keep_links[other] += gone_links[other]
        for other in gone_links:
            if other != keep:
                del links[other][gone]
        for other, total in keep_links.items():
            links[other][keep] = total
        sums[keep] = _add(summed(keep), summed(gone))
        sums.pop(gone)
        parent[gone] = keep
        size[keep] += size[gone]
        version[keep] += 1
        version[gone] = -1
        for other in keep_links:
            push(keep, other)

    # Resolve merge chains to their roots.
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand
