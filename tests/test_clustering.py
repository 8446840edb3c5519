"""Graph clustering: average linkage along the candidate graph, without chaining."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from conftest import reversed_columns
from dedupe_news.clustering import average_linkage

# The semantics the reference follows, from clustering.py's docstring: two clusters may be
# compared only when a verified edge joins them, and then their mean similarity is *exact*
# (pairs the candidate stage never proposed count with their true similarity). Set this to
# True if the module switches to "absent edges count as 0".
ABSENT_EDGES_COUNT_AS_ZERO = False
MARGIN = 1e-9  # cases with a merge decision this close to a tie are rejected, not judged


def partition(labels: np.ndarray | list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for node, label in enumerate(np.asarray(labels).tolist()):
        groups.setdefault(label, set()).add(node)
    return {frozenset(g) for g in groups.values()}


def unit_rows(dense: np.ndarray) -> np.ndarray:
    return dense / np.linalg.norm(dense, axis=1, keepdims=True)


def edges_and_scores(vectors: np.ndarray, pairs: list[tuple[int, int]]) -> tuple:
    edges = np.asarray(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    scores = np.asarray([float(vectors[i] @ vectors[j]) for i, j in edges], dtype=np.float64)
    return edges, scores


def effective_similarity(vectors: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Pairwise similarity as the clustering sees it (see ABSENT_EDGES_COUNT_AS_ZERO)."""
    sim = vectors @ vectors.T
    if ABSENT_EDGES_COUNT_AS_ZERO:
        mask = np.zeros_like(sim, dtype=bool)
        mask[edges[:, 0], edges[:, 1]] = mask[edges[:, 1], edges[:, 0]] = True
        sim = np.where(mask, sim, 0.0)
    return sim


def reference_average_linkage(
    vectors: np.ndarray, edges: np.ndarray, threshold: float, weights: np.ndarray | None = None
) -> set[frozenset[int]]:
    """Straightforward greedy average linkage: repeatedly merge the two adjacent clusters of
    highest weighted mean pairwise similarity while it is >= threshold. O(n^4); tiny inputs.
    """
    n = len(vectors)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    sim = effective_similarity(vectors, edges)
    adjacent = np.zeros((n, n), dtype=bool)
    adjacent[edges[:, 0], edges[:, 1]] = adjacent[edges[:, 1], edges[:, 0]] = True
    clusters = [[i] for i in range(n)]
    while True:
        scored = []
        for a, b in combinations(range(len(clusters)), 2):
            ca, cb = clusters[a], clusters[b]
            if not adjacent[np.ix_(ca, cb)].any():
                continue
            total = float(w[ca] @ sim[np.ix_(ca, cb)] @ w[cb])
            scored.append((total / (w[ca].sum() * w[cb].sum()), a, b))
        scored.sort(reverse=True)
        for mean, _, _ in scored:
            assume(abs(mean - threshold) > MARGIN)
        if len(scored) > 1:
            assume(scored[0][0] - scored[1][0] > MARGIN or scored[1][0] < threshold)
        if not scored or scored[0][0] < threshold:
            return {frozenset(c) for c in clusters}
        _, a, b = scored[0]
        clusters[a] = clusters[a] + clusters[b]
        del clusters[b]


def scipy_reference(vectors: np.ndarray, edges: np.ndarray, threshold: float) -> set:
    """scipy's average linkage on the dense distance 1 - similarity, cut at 1 - threshold."""
    n = len(vectors)
    if n == 1:
        return {frozenset([0])}
    distance = np.clip(1.0 - effective_similarity(vectors, edges), 0.0, None)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return partition(fcluster(tree, t=1.0 - threshold, criterion="distance"))


@st.composite
def graphs(draw: st.DrawFn, complete: bool | None = None) -> tuple:
    """Random non-negative unit vectors (TF-IDF-like) and a random candidate graph."""
    n = draw(st.integers(1, 9))
    dims = draw(st.integers(2, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dense = rng.random((n, dims)) * (rng.random((n, dims)) < 0.6)
    dense[np.arange(n), rng.integers(0, dims, n)] += 0.1  # no all-zero row
    vectors = unit_rows(dense)
    if complete is None:
        complete = draw(st.booleans())
    density = 1.0 if complete else draw(st.floats(0.1, 0.9))
    pairs = [(i, j) for i, j in combinations(range(n), 2) if rng.random() < density]
    threshold = draw(st.floats(0.05, 0.95))
    return vectors, pairs, threshold, complete


@settings(max_examples=50, deadline=None)
@given(case=graphs())
def test_matches_reference_average_linkage(case: tuple) -> None:
    """The one test that pins the linkage semantics; adapt the reference if they change."""
    vectors, pairs, threshold, complete = case
    edges, scores = edges_and_scores(vectors, pairs)
    want = reference_average_linkage(vectors, edges, threshold)
    got = average_linkage(sp.csr_matrix(vectors), edges, scores, threshold)
    assert partition(got) == want
    if complete or ABSENT_EDGES_COUNT_AS_ZERO:
        # On a complete candidate graph (or when absent edges count 0) the constrained
        # linkage is plain UPGMA, which scipy computes independently.
        assert want == scipy_reference(vectors, edges, threshold)


@settings(max_examples=25, deadline=None)
@given(case=graphs())
def test_column_order_within_rows_does_not_matter(case: tuple) -> None:
    """Products of sparse matrices leave columns unsorted; the linkage must not care."""
    vectors, pairs, threshold, _ = case
    edges, scores = edges_and_scores(vectors, pairs)
    want = average_linkage(sp.csr_matrix(vectors), edges, scores, threshold)
    got = average_linkage(reversed_columns(vectors), edges, scores, threshold)
    assert partition(got) == partition(want)


@settings(max_examples=25, deadline=None)
@given(case=graphs(complete=True))
def test_reference_agrees_with_scipy_on_complete_graphs(case: tuple) -> None:
    """Guards the reference itself."""
    vectors, pairs, threshold, _ = case
    edges, _ = edges_and_scores(vectors, pairs)
    assert reference_average_linkage(vectors, edges, threshold) == scipy_reference(
        vectors, edges, threshold
    )


def two_cliques_with_a_bridge(p: int, q: int, bridge: float) -> tuple:
    """Cliques A (nodes 0..p-1) and B (p..p+q-1) on orthogonal topics; node 0 and node p
    also share a third topic with weight ``bridge``, so only they are similar across."""
    rng = np.random.default_rng(p * 100 + q)
    n = p + q
    dense = np.zeros((n, 3 + n))
    dense[:p, 0] = 1.0
    dense[p:, 1] = 1.0
    dense[:, 3:] = 0.05 * rng.random((n, n))  # a little noise
    dense[0, 2] = dense[p, 2] = bridge
    vectors = unit_rows(dense)
    pairs = list(combinations(range(p), 2)) + list(combinations(range(p, n), 2))
    pairs.append((0, p))  # the single bridge edge
    return vectors, pairs


@settings(max_examples=25, deadline=None)
@given(
    p=st.integers(3, 8),
    q=st.integers(3, 8),
    bridge=st.floats(0.5, 6.0),
    threshold=st.floats(0.2, 0.6),
)
def test_single_bridge_edge_never_merges_two_cliques(
    p: int, q: int, bridge: float, threshold: float
) -> None:
    vectors, pairs = two_cliques_with_a_bridge(p, q, bridge)
    edges, scores = edges_and_scores(vectors, pairs)
    labels = average_linkage(sp.csr_matrix(vectors), edges, scores, threshold)
    core_a = set(labels[1:p].tolist())
    core_b = set(labels[p + 1 :].tolist())
    assert len(core_a) == 1
    assert len(core_b) == 1
    assert core_a.isdisjoint(core_b)


def test_connected_components_would_chain_the_cliques() -> None:
    """The same graph under connected components is one cluster: the guard matters."""
    p = q = 5
    vectors, pairs = two_cliques_with_a_bridge(p, q, bridge=3.0)
    edges, scores = edges_and_scores(vectors, pairs)
    threshold = 0.3
    bridge_score = scores[[tuple(e) for e in edges.tolist()].index((0, p))]
    assert bridge_score >= threshold  # a strong bridge
    strong = edges[scores >= threshold]
    graph = sp.coo_matrix((np.ones(len(strong)), (strong[:, 0], strong[:, 1])), shape=(10, 10))
    n_components, _ = connected_components(graph, directed=False)
    assert n_components == 1

    labels = average_linkage(sp.csr_matrix(vectors), edges, scores, threshold)
    assert labels[1] != labels[p + 1]
    assert len(partition(labels)) >= 2


@settings(max_examples=50, deadline=None)
@given(case=graphs(), data=st.data())
def test_node_weight_equals_identical_copies(case: tuple, data: st.DataObject) -> None:
    """A node of weight k clusters exactly like k identical nodes."""
    vectors, pairs, threshold, _ = case
    n = len(vectors)
    weights = np.asarray(data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    edges, scores = edges_and_scores(vectors, pairs)
    weighted = average_linkage(sp.csr_matrix(vectors), edges, scores, threshold, weights)

    # Expand: node i becomes copies owner == i, linked to each other and along i's edges.
    owner = np.repeat(np.arange(n), weights)
    copies = [np.flatnonzero(owner == i).tolist() for i in range(n)]
    expanded_pairs = {(a, b) for c in copies for a, b in combinations(c, 2)}
    for i, j in pairs:
        expanded_pairs.update((min(a, b), max(a, b)) for a in copies[i] for b in copies[j])
    big = vectors[owner]
    big_edges, big_scores = edges_and_scores(big, sorted(expanded_pairs))
    expanded = average_linkage(sp.csr_matrix(big), big_edges, big_scores, threshold)

    for c in copies:  # identical copies always end together
        assert len(set(expanded[c].tolist())) == 1
    projected = expanded[[c[0] for c in copies]]
    assert partition(projected) == partition(weighted)


def test_weight_pulls_a_borderline_neighbour_in() -> None:
    """Means are weighted by multiplicity: a heavy node counts as all of its copies."""
    angle01, angle12 = np.arccos(0.9), np.arccos(0.8)
    vectors = np.array(
        [[1.0, 0.0], [np.cos(angle01), np.sin(angle01)], [np.cos(angle01 + angle12), 0.0]]
    )
    vectors[2, 1] = np.sin(angle01 + angle12)  # sim(0,1)=0.9, sim(1,2)=0.8, sim(0,2)~0.46
    edges, scores = edges_and_scores(vectors, [(0, 1), (1, 2)])
    # {0,1} merge first; their mean to 2 is (0.8 + 0.46) / 2 ~ 0.63 < 0.7.
    plain = average_linkage(sp.csr_matrix(vectors), edges, scores, 0.7)
    assert partition(plain) == {frozenset({0, 1}), frozenset({2})}
    # With node 1 counting three times: (3 * 0.8 + 0.46) / 4 ~ 0.71 >= 0.7.
    heavy = average_linkage(sp.csr_matrix(vectors), edges, scores, 0.7, np.array([1, 3, 1]))
    assert partition(heavy) == {frozenset({0, 1, 2})}


def test_no_edges_leaves_singletons() -> None:
    vectors = sp.csr_matrix(unit_rows(np.eye(4) + 0.5))
    labels = average_linkage(vectors, np.empty((0, 2), dtype=np.int64), np.empty(0), 0.1)
    assert labels.tolist() == [0, 1, 2, 3]


@settings(max_examples=25, deadline=None)
@given(case=graphs())
def test_labels_name_a_member_of_the_cluster(case: tuple) -> None:
    vectors, pairs, threshold, _ = case
    edges, scores = edges_and_scores(vectors, pairs)
    labels = average_linkage(sp.csr_matrix(vectors), edges, scores, threshold)
    assert labels.shape == (len(vectors),)
    for node, label in enumerate(labels.tolist()):
        assert labels[label] == label  # the label is a node of the same cluster
        assert 0 <= label < len(vectors)
        assert labels[node] == label


def test_threshold_zero_joins_each_connected_component_and_one_joins_only_duplicates() -> None:
    vectors = unit_rows(np.array([[1.0, 0.1], [0.9, 0.3], [0.1, 1.0], [0.0, 1.0]]))
    edges, scores = edges_and_scores(vectors, [(0, 1), (1, 2)])
    loose = average_linkage(sp.csr_matrix(vectors), edges, scores, 0.0)
    assert partition(loose) == {frozenset({0, 1, 2}), frozenset({3})}
    strict = average_linkage(sp.csr_matrix(vectors), edges, scores, 1.0)
    assert partition(strict) == {frozenset({i}) for i in range(4)}


@settings(max_examples=200, deadline=None)
@given(
    others=st.sets(st.integers(0, 40), max_size=12),
    keep=st.integers(0, 40),
    gone=st.integers(0, 40),
    has=st.sampled_from(["keep", "gone", "both"]),
)
def test_relink_matches_a_sorted_list_update(
    others: set[int], keep: int, gone: int, has: str
) -> None:
    """A neighbour's list after a merge: gone's entry out, keep's in with the merged link,
    still sorted, wherever the two sit in the list (the kernel moves only what lies between)."""
    from dedupe_news._kernels import _relink

    assume(keep != gone)
    links = {o: float(o) for o in others - {keep, gone}}
    if has in ("keep", "both"):
        links[keep] = -1.0
    if has in ("gone", "both"):
        links[gone] = -2.0
    want = {**{o: t for o, t in links.items() if o != gone}, keep: 99.0}
    pad = 3  # the list sits inside a pool, between other lists
    ids = np.full(2 * pad + len(links) + 1, -7, dtype=np.int64)
    totals = np.full(ids.size, -7.0)
    ids[pad : pad + len(links)] = sorted(links)
    totals[pad : pad + len(links)] = [links[o] for o in sorted(links)]
    degree = _relink(ids, totals, pad, len(links), keep, gone, 99.0)
    assert degree == len(want)
    assert ids[pad : pad + degree].tolist() == sorted(want)
    assert totals[pad : pad + degree].tolist() == [want[o] for o in sorted(want)]
    assert (ids[:pad] == -7).all() and (ids[pad + len(links) :] == -7).all()


def tie_exact_reference(vectors: np.ndarray, edges: np.ndarray, threshold: float) -> list[int]:
    """The kernel's labels, ties and all, where every mean is exact (0/1 similarities): merge
    the adjacent pair of clusters ``(a, b)``, ``a < b``, of greatest mean, ties to the least
    ``(a, b)``; a cluster is named by one node, and a merge keeps the name of the side with
    more neighbouring clusters (``a`` when even)."""
    n = len(vectors)
    sim = vectors @ vectors.T
    members = {c: [c] for c in range(n)}
    adjacent: dict[int, set[int]] = {c: set() for c in range(n)}
    for i, j in edges.tolist():
        adjacent[i].add(j)
        adjacent[j].add(i)
    label = list(range(n))
    while True:
        keys = [
            (-sim[np.ix_(members[a], members[b])].sum() / (len(members[a]) * len(members[b])), a, b)
            for a in members
            for b in adjacent[a]
            if a < b
        ]
        keys = [key for key in keys if -key[0] >= threshold]
        if not keys:
            return [label[c] for c in range(n)]
        _, a, b = min(keys)
        keep, gone = (a, b) if len(adjacent[a]) >= len(adjacent[b]) else (b, a)
        for c in members[gone]:
            label[c] = keep
        members[keep] += members.pop(gone)
        for c in adjacent.pop(gone) - {keep}:
            adjacent[c] = (adjacent[c] - {gone}) | {keep}
            adjacent[keep].add(c)
        adjacent[keep].discard(gone)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 24),
    density=st.floats(0.05, 1.0),
    threshold=st.sampled_from([0.5, 1.0, 4 / 3, 1.5, 2.0, 3.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_ties_go_as_the_tie_exact_reference_says(
    n: int, density: float, threshold: float, seed: int
) -> None:
    """Vectors of small whole numbers (not normalized: the kernel only takes dot products), so
    every mean is a ratio of whole numbers and ties are everywhere. The kernel breaks them in
    the one order it promises."""
    rng = np.random.default_rng(seed)
    vectors = rng.integers(0, 3, (n, 3)).astype(np.float64)
    pairs = [(i, j) for i, j in combinations(range(n), 2) if rng.random() < density]
    edges, scores = edges_and_scores(vectors, pairs)
    shuffled = rng.permutation(len(edges))
    labels = average_linkage(sp.csr_matrix(vectors), edges[shuffled], scores[shuffled], threshold)
    assert labels.tolist() == tie_exact_reference(vectors, edges, threshold)


def test_a_tie_is_decided_by_the_pair_not_by_the_edge_order() -> None:
    """Node 1 is as close to node 0 as to node 2, which share nothing: whichever pair merges
    first keeps the third out. The first pair wins, wherever its edge sits in the input."""
    vectors = sp.csr_matrix(np.array([[1.0, 0.0], [2**-0.5, 2**-0.5], [0.0, 1.0]]))
    edges = np.array([[1, 2], [0, 1]], dtype=np.int64)
    scores = np.full(2, 2**-0.5)
    for order in ([0, 1], [1, 0]):
        labels = average_linkage(vectors, edges[order], scores[order], 0.5)
        assert partition(labels) == {frozenset({0, 1}), frozenset({2})}
