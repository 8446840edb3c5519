"""Graph clustering of scored edges without chaining: average linkage on the sparse graph.

Connected components let one strong bridge edge merge two stories. Here two clusters merge only
while the *mean* similarity over all pairs of their members, counting absent edges as 0, stays
at or above the threshold; a single bridge between two stories of sizes p and q contributes
only 1 / (p * q) of that mean. Nodes carry weights, so a group of identical articles collapsed
into one node counts as all of its copies.

Ties are broken by node index; callers pass nodes in a canonical order so results do not depend
on input order.
"""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

__all__ = ["average_linkage"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def average_linkage(
    n_nodes: int,
    edges: I64,
    scores: F64,
    threshold: float,
    weights: I64 | None = None,
) -> I64:
    """Cluster label per node: the index of one node of its cluster (the root of its merges).

    Parameters
    ----------
    n_nodes : int
        Number of nodes; nodes without edges end as singletons.
    edges : (m, 2) int array
        Distinct undirected edges ``(i, j)``, ``i != j``.
    scores : (m,) float array
        Similarity of each edge, in [0, 1].
    threshold : float
        Merge two clusters while the weighted mean similarity between them is >= threshold.
    weights : (n_nodes,) int array, optional
        Multiplicity of each node (default 1).
    """
    size = np.ones(n_nodes, dtype=np.float64) if weights is None else weights.astype(np.float64)
    # links[c][d]: sum over member pairs (u in c, v in d) of weight_u * weight_v * score_uv.
    links: dict[int, dict[int, float]] = {}
    for (i, j), s in zip(edges.tolist(), scores.tolist(), strict=True):
        w = s * size[i] * size[j]
        links.setdefault(i, {})[j] = w
        links.setdefault(j, {})[i] = w

    version = [0] * n_nodes
    heap: list[tuple[float, int, int, int, int]] = []

    def push(c: int, d: int) -> None:
        a, b = (c, d) if c < d else (d, c)
        mean = links[a][b] / (size[a] * size[b])
        if mean >= threshold:
            heapq.heappush(heap, (-mean, a, b, version[a], version[b]))

    for c, neighbours in links.items():
        for d in neighbours:
            if c < d:
                push(c, d)

    parent = np.arange(n_nodes, dtype=np.int64)
    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb:
            continue  # stale: a side has merged since this entry was pushed
        # Fold the cluster with fewer neighbours into the other, so each merge costs the smaller
        # degree.
        keep, gone = (a, b) if len(links[a]) >= len(links[b]) else (b, a)
        parent[gone] = keep
        size[keep] += size[gone]
        version[keep] += 1
        version[gone] = -1
        gone_links = links.pop(gone)
        keep_links = links[keep]
        del keep_links[gone]
        for other, w in gone_links.items():
            if other == keep:
                continue
            other_links = links[other]
            del other_links[gone]
            total = keep_links.get(other, 0.0) + w
            keep_links[other] = total
            other_links[keep] = total
        for other in keep_links:
            push(keep, other)

    # Resolve merge chains to their roots.
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand
