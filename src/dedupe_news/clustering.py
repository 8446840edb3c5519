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

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._arrays import sorted_csr
from ._kernels import average_linkage_kernel

__all__ = ["average_linkage"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


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
    csr = sorted_csr(vectors)  # the kernel merges columns in order
    size = (
        np.ones(csr.shape[0], dtype=np.float64)
        if weights is None
        else np.asarray(weights, dtype=np.float64).copy()
    )
    parent: I64
    parent, _ = average_linkage_kernel(
        csr.indptr.astype(np.int64),
        csr.indices,
        csr.data,
        csr.shape[1],
        np.ascontiguousarray(edges, dtype=np.int64).reshape(-1, 2),
        np.ascontiguousarray(scores, dtype=np.float64),
        float(threshold),
        size,
    )
    return parent
