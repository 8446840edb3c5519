"""Compiled loops (numba) for the stages whose work is a loop that NumPy cannot express in bulk.

Each kernel computes what the NumPy/Python code it replaced computed, with its floating-point
operations in a fixed order (the average linkage in exactly the former order; pair dot
products in column order, where scipy's row sums had left the order unspecified), and tests
compare each with a straightforward reference. The stories on the benchmark corpora are the
same as before, article for article.

Kernels are compiled on first use and cached on disk (numba's ``cache=True``: next to this
file, or in the user's cache directory when that is not writable), so only the first run after
an install pays the compilation. Kernels that are worth spreading over cores release the GIL
and run on plain threads (:func:`in_chunks`), never on numba's parallel loops, whose threading
layers are unsafe across threads (workqueue) or after a fork (GNU OpenMP).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
from numba import njit

# Loops over items at random places of memory that outgrows the caches (rows of a big matrix,
# the lists of a cluster's neighbours) read what item ``t + 2 * _AHEAD`` points at, and the
# start of item ``t + _AHEAD``, before working on item ``t``: the cache misses overlap the work
# instead of following it. The values read are returned, so the compiler keeps the reads.
_AHEAD = 4
FOLDS_LONGER = np.uint32(0xFFFFFFFF)  # see fold_kernel

T = TypeVar("T")

__all__ = [
    "FOLDS_LONGER",
    "FirstSeen",
    "average_linkage_kernel",
    "band_keys_kernel",
    "bucket_pairs_kernel",
    "copy_rows_kernel",
    "count_rows_kernel",
    "distinct_texts_kernel",
    "first_seen_kernel",
    "fold_kernel",
    "in_chunks",
    "interleave_kernel",
    "intersection_sizes_kernel",
    "listed_neighbours_kernel",
    "map_threads",
    "merge_into_kernel",
    "minhash_kernel",
    "ngram_hashes_kernel",
    "offer_neighbours_kernel",
    "partition_kernel",
    "row_frequency_kernel",
    "rowwise_dot_kernel",
    "scan_kernel",
    "weigh_rows_kernel",
    "workers",
]


def _compiled(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit`` with the compiled code cached on disk, or, where numba finds nowhere
    writable to cache it (a read-only install without a writable user cache directory), compiled
    afresh in each process rather than failing at import."""

    def compile_function(function: Callable[..., Any]) -> Any:
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError:  # numba: "cannot cache function ...: no locator available"
            return njit(cache=False, **options)(function)

    return compile_function


def workers(n_jobs: int) -> int:
    """Threads for ``n_jobs`` (scikit-learn's convention: -1 is every CPU this process may use)."""
    if n_jobs > 0:
        return n_jobs
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) + 1 + n_jobs)


def in_chunks(n_items: int, n_jobs: int, run: Callable[[int, int], object]) -> None:
    """Call ``run(start, stop)`` over consecutive chunks of ``range(n_items)``, a few per
    thread, on ``n_jobs`` threads: the kernels release the GIL. Plain threads rather than
    numba's parallel loops, which need a threading layer that is safe in every process."""
    threads = workers(n_jobs)
    chunks = max(1, min(n_items, 4 * threads)) if threads > 1 else 1
    bounds = np.linspace(0, n_items, chunks + 1).astype(np.int64).tolist()
    map_threads(lambda k: run(bounds[k], bounds[k + 1]), chunks, n_jobs)


def map_threads(function: Callable[[int], T], n_items: int, n_jobs: int) -> list[T]:
    """``[function(k) for k in range(n_items)]`` on ``n_jobs`` threads, in order: for work
    that spends most of its time in code that releases the GIL (NumPy sorts and ufuncs)."""
    threads = min(workers(n_jobs), n_items)
    if threads <= 1:
        return [function(k) for k in range(n_items)]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(function, range(n_items)))


@_compiled()
def _first_entry(starts, cols, vals, item):
    """The first stored entry of ``item`` (its column, and whether its value is positive),
    read for the sake of its cache lines (see ``_AHEAD``); 0 past the arrays' end."""
    first = starts[item]
    if first >= cols.size:
        return 0
    return cols[first] ^ np.int64(vals[first] > 0.0)


@_compiled()
def _merge_sparse(u_cols, u_vals, v_cols, v_vals, cols, vals):
    """Sum of two sparse vectors with sorted columns, written to ``cols``/``vals`` (long
    enough for both); returns its length."""
    a = b = k = 0
    while a < u_cols.size and b < v_cols.size:
        if u_cols[a] < v_cols[b]:
            cols[k], vals[k] = u_cols[a], u_vals[a]
            a += 1
        elif v_cols[b] < u_cols[a]:
            cols[k], vals[k] = v_cols[b], v_vals[b]
            b += 1
        else:
            cols[k], vals[k] = u_cols[a], u_vals[a] + v_vals[b]
            a += 1
            b += 1
        k += 1
    while a < u_cols.size:
        cols[k], vals[k] = u_cols[a], u_vals[a]
        a += 1
        k += 1
    while b < v_cols.size:
        cols[k], vals[k] = v_cols[b], v_vals[b]
        b += 1
        k += 1
    return k


@_compiled()
def _adjacency(n, edges, scores, size):
    """Per node, its neighbours along the edges (sorted) and the link of each,
    ``score * size_i * size_j``, in flat arrays: node ``c``'s are ``start[c]:start[c] +
    degree[c]``, and half as many entries again are left free at the end."""
    degree = np.zeros(n, dtype=np.int64)
    for e in range(edges.shape[0]):
        degree[edges[e, 0]] += 1
        degree[edges[e, 1]] += 1
    start = np.zeros(n + 1, dtype=np.int64)
    for c in range(n):
        start[c + 1] = start[c] + degree[c]
    ids = np.empty(start[n] + start[n] // 2, dtype=np.int64)  # room for merged lists
    totals = np.empty(ids.size, dtype=np.float64)
    fill = start[:n].copy()
    for e in range(edges.shape[0]):
        i, j = edges[e, 0], edges[e, 1]
        w = scores[e] * size[i] * size[j]
        for a, b in ((i, j), (j, i)):
            ids[fill[a]] = b
            totals[fill[a]] = w
            fill[a] += 1
    for c in range(n):  # insertion sort: a node's neighbours are few
        for x in range(start[c] + 1, start[c] + degree[c]):
            v, t = ids[x], totals[x]
            y = x
            while y > start[c] and ids[y - 1] > v:
                ids[y], totals[y] = ids[y - 1], totals[y - 1]
                y -= 1
            ids[y], totals[y] = v, t
    return start, degree, ids, totals


@_compiled()
def _position(ids, lo, hi, value):
    """First index in ``ids[lo:hi]`` (sorted) whose entry is not below ``value``."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if ids[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@_compiled()
def _relink(ids, totals, lo, degree, keep, gone, total):
    """In one neighbour's sorted list (``ids[lo:lo + degree]``): the merged cluster ``keep``
    with link ``total`` in place of ``keep`` and ``gone``. Returns the new degree.

    Found by binary search; only the entries between the two places move."""
    hi = lo + degree
    g = _position(ids, lo, hi, gone)
    k = _position(ids, lo, hi, keep)
    has_keep = k < hi and ids[k] == keep
    if not (g < hi and ids[g] == gone):  # only keep's link changes
        totals[k] = total
        return degree
    if has_keep:  # gone's entry goes
        for x in range(g, hi - 1):
            ids[x], totals[x] = ids[x + 1], totals[x + 1]
        if k > g:
            k -= 1
        totals[k] = total
        return degree - 1
    # keep takes gone's entry, moved to keep's place
    if k > g:
        k -= 1  # after gone's entry is taken out
        for x in range(g, k):
            ids[x], totals[x] = ids[x + 1], totals[x + 1]
    else:
        for x in range(g, k, -1):
            ids[x], totals[x] = ids[x - 1], totals[x - 1]
    ids[k], totals[k] = keep, total
    return degree


@_compiled()
def _repack(first, second, start, length, capacity, room):
    """Room for ``room`` more entries at the end of a pool (two parallel arrays): its live lists
    packed to the front, in place while that leaves a quarter of it free, else into new
    arrays with half as much again free (each entry is then copied O(1) times over a run's
    appends). In place, a run touches no fresh memory for it, which on virtual machines costs
    more than the copying. Returns the arrays and their used length."""
    live = 0
    for c in range(start.size):
        live += length[c]
    new_first, new_second = first, second
    if 4 * (live + room) > 3 * first.size:
        new_first = np.empty(live + room + (live + room) // 2, dtype=first.dtype)
        new_second = np.empty(new_first.size, dtype=second.dtype)
    used = 0
    for c in np.argsort(start):  # in place, each list moves down: in order of their places
        s, k = start[c], length[c]
        for x in range(k):
            new_first[used + x] = first[s + x]
            new_second[used + x] = second[s + x]
        start[c], capacity[c] = used, k
        used += k
    return new_first, new_second, used


@_compiled()
def _store(first, second, start, length, capacity, used, c, from_first, from_second, m):
    """List ``c`` of a pool set to the first ``m`` entries of ``from_first``/``from_second``:
    in its place when they fit, else at the pool's end (repacked first when that is full).
    Returns the pool's arrays and used length."""
    if m > capacity[c]:
        length[c] = capacity[c] = 0  # its entries are dead
        if used + m > first.size:
            first, second, used = _repack(first, second, start, length, capacity, m)
        start[c], capacity[c] = used, m
        used += m
    s = start[c]
    first[s : s + m] = from_first[:m]
    second[s : s + m] = from_second[:m]
    length[c] = m
    return first, second, used


@_compiled()
def _add_dots(totals, ids, side, m, which, center, cols, vals, start, length, scratch):
    """``totals[t] +=`` the dot of cluster ``center``'s sum with that of cluster ``ids[t]``,
    for the merged neighbours on side ``which``: through a dense scratch, summed in the
    neighbour's column order. Reads ahead as :func:`rowwise_dot_kernel` does, and returns
    what it saw."""
    for k in range(start[center], start[center] + length[center]):
        scratch[cols[k]] = vals[k]
    seen = 0
    for t in range(m):
        if t + 2 * _AHEAD < m:
            seen ^= start[ids[t + 2 * _AHEAD]]
        if t + _AHEAD < m:
            seen ^= _first_entry(start, cols, vals, ids[t + _AHEAD])
        if side[t] == which:
            o = ids[t]
            acc = 0.0
            for k in range(start[o], start[o] + length[o]):
                acc += vals[k] * scratch[cols[k]]
            totals[t] += acc
    for k in range(start[center], start[center] + length[center]):
        scratch[cols[k]] = 0.0
    return seen


@_compiled(inline="always")
def _heap_entry(c, o, mean, version):
    """The heap entry of clusters ``c`` and ``o`` at ``mean``: ``(-mean, a, b, version_a,
    version_b)`` with ``a < b``."""
    a, b = min(c, o), max(c, o)
    return (-mean, a, b, version[a], version[b])


@_compiled()
def _best_link(c, ids, totals, lo, degree, size, threshold):
    """Cluster ``c``'s most similar neighbour (its list is ``ids[lo:lo + degree]``, sorted, with
    the links ``totals``) and their mean similarity; ``-1`` when none reaches ``threshold``.
    A tie goes to the smaller neighbour: the pair a heap of ``(-mean, a, b)`` gives first."""
    best, best_mean = -1, 0.0
    for k in range(lo, lo + degree):
        o = ids[k]
        mean = totals[k] / (size[c] * size[o])
        if mean >= threshold and (best < 0 or mean > best_mean):
            best, best_mean = o, mean
    return best, best_mean


@_compiled()
def average_linkage_kernel(indptr, indices, data, width, edges, scores, threshold, size):
    """Parent per node after average linkage (and what reading ahead saw); see
    :func:`dedupe_news.clustering.average_linkage`.

    ``indptr``/``indices``/``data`` are a CSR matrix with sorted columns, ``size`` the node
    weights as floats (updated in place). Heap entries ``(-mean, a, b, version_a, version_b)``
    are unique, so the merge order is fully determined by the means and node indices.

    The heap holds each cluster's best link (see :func:`_best_link`), not every link: the
    pair that merges next is the best link of both its clusters, so it is there. A merge
    pushes the merged cluster's best link, and a neighbour's when it changed: found anew when
    it was to either merged cluster, else the neighbour's link to the merged cluster when that
    beats it. A heap of every link outgrew the caches at a million articles, where most of its
    entries went stale before they came up (the linkage took half as long again).

    Each cluster's neighbours are a sorted list with their links: the exact sum over member
    pairs ``(u in c, v in d)`` of ``weight_u * weight_v * sim_uv``, for clusters joined by an
    edge. A merge walks the two clusters' lists side by side and writes the merged one; each
    neighbour's list is updated in place (it loses an entry or keeps its length).

    The lists, and the clusters' summed vectors, live in pools of flat arrays (``_store``)
    rather than in a list of arrays, whose reference counting had taken half the time.
    """
    n = size.size
    # Summed vector of each cluster: columns and values, pooled.
    s_cols = np.empty(data.size + data.size // 2, dtype=np.int32)  # room for merged sums
    s_cols[: data.size] = indices
    s_vals = np.empty(s_cols.size, dtype=np.float64)
    for c in range(n):
        for k in range(indptr[c], indptr[c + 1]):
            s_vals[k] = np.float64(data[k]) * size[c]
    s_start = indptr[:n].copy()
    s_len = indptr[1:] - indptr[:n]
    s_cap = s_len.copy()
    s_used = data.size
    # Neighbours of each cluster with the links, pooled.
    start, degree, l_ids, l_totals = _adjacency(n, edges, scores, size)
    l_start = start[:n].copy()
    l_cap = degree.copy()
    l_used = start[n]

    version = np.zeros(n, dtype=np.int64)
    best = np.full(n, -1, dtype=np.int64)
    best_mean = np.zeros(n, dtype=np.float64)
    heap = [(0.0, 0, 0, 0, 0) for _ in range(0)]
    for c in range(n):
        best[c], best_mean[c] = _best_link(
            c, l_ids, l_totals, l_start[c], degree[c], size, threshold
        )
        if best[c] > c or (best[c] >= 0 and best[best[c]] != c):  # each pair once
            heap.append(_heap_entry(c, best[c], best_mean[c], version))
    heapq.heapify(heap)

    seen = 0  # what reading ahead saw (see _AHEAD)
    parent = np.arange(n)
    scratch = np.zeros(width, dtype=np.float64)
    ids = np.empty(16, dtype=np.int64)  # the merged lists, grown as needed
    side = np.empty(16, dtype=np.int64)
    totals = np.empty(16, dtype=np.float64)
    merged_cols = np.empty(16, dtype=np.int32)
    merged_vals = np.empty(16, dtype=np.float64)
    while len(heap) > 0:
        _, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb:
            continue  # stale: a side has merged since this entry was pushed
        # Fold the cluster with fewer neighbours into the other.
        keep, gone = (a, b) if degree[a] >= degree[b] else (b, a)
        kl, n_keep = l_start[keep], degree[keep]
        gl, n_gone = l_start[gone], degree[gone]
        if n_keep + n_gone > ids.size:
            ids = np.empty(2 * (n_keep + n_gone), dtype=np.int64)
            side = np.empty(ids.size, dtype=np.int64)
            totals = np.empty(ids.size, dtype=np.float64)
        # The merged neighbours in order, each from keep's side (1), gone's (2) or both (3).
        x = y = m = 0
        while x < n_keep or y < n_gone:
            if x < n_keep and l_ids[kl + x] == gone:
                x += 1
            elif y < n_gone and l_ids[gl + y] == keep:
                y += 1
            elif y == n_gone or (x < n_keep and l_ids[kl + x] < l_ids[gl + y]):
                ids[m], side[m], totals[m] = l_ids[kl + x], 1, l_totals[kl + x]
                x += 1
                m += 1
            elif x == n_keep or l_ids[gl + y] < l_ids[kl + x]:
                ids[m], side[m], totals[m] = l_ids[gl + y], 2, l_totals[gl + y]
                y += 1
                m += 1
            else:
                ids[m], side[m] = l_ids[kl + x], 3
                totals[m] = l_totals[kl + x] + l_totals[gl + y]
                x += 1
                y += 1
                m += 1
        # Pairs that had no edge still count with their true similarity.
        seen ^= _add_dots(totals, ids, side, m, 1, gone, s_cols, s_vals, s_start, s_len, scratch)
        seen ^= _add_dots(totals, ids, side, m, 2, keep, s_cols, s_vals, s_start, s_len, scratch)
        for t in range(m):
            if t + 2 * _AHEAD < m:
                seen ^= l_start[ids[t + 2 * _AHEAD]] ^ degree[ids[t + 2 * _AHEAD]]
            if t + _AHEAD < m:  # where the binary search in that list will look first
                o = ids[t + _AHEAD]
                seen ^= l_ids[l_start[o] + (degree[o] >> 1)]
            o = ids[t]
            degree[o] = _relink(l_ids, l_totals, l_start[o], degree[o], keep, gone, totals[t])
        degree[gone] = l_cap[gone] = 0
        l_ids, l_totals, l_used = _store(
            l_ids, l_totals, l_start, degree, l_cap, l_used, keep, ids, totals, m
        )
        # The merged sum: keep's columns first where both have one (the former order).
        both = s_len[keep] + s_len[gone]
        if both > merged_cols.size:
            merged_cols = np.empty(2 * both, dtype=np.int32)
            merged_vals = np.empty(merged_cols.size, dtype=np.float64)
        ks, gs = s_start[keep], s_start[gone]
        k = _merge_sparse(
            s_cols[ks : ks + s_len[keep]],
            s_vals[ks : ks + s_len[keep]],
            s_cols[gs : gs + s_len[gone]],
            s_vals[gs : gs + s_len[gone]],
            merged_cols,
            merged_vals,
        )
        s_len[gone] = s_cap[gone] = 0
        s_cols, s_vals, s_used = _store(
            s_cols, s_vals, s_start, s_len, s_cap, s_used, keep, merged_cols, merged_vals, k
        )
        parent[gone] = keep
        size[keep] += size[gone]
        version[keep] += 1
        version[gone] = -1
        # Every link of keep changed, and each neighbour's to keep (and to gone) did: their
        # best links are found again where they may have changed, and pushed.
        best[gone] = -1
        best[keep], best_mean[keep] = _best_link(keep, ids, totals, 0, m, size, threshold)
        for t in range(m):
            o = ids[t]
            mean = totals[t] / (size[keep] * size[o])
            was = best[o]
            if was in (keep, gone):
                best[o], best_mean[o] = _best_link(
                    o, l_ids, l_totals, l_start[o], degree[o], size, threshold
                )
            elif mean >= threshold and (
                was < 0 or mean > best_mean[o] or (mean == best_mean[o] and keep < was)
            ):
                best[o], best_mean[o] = keep, mean
            else:
                continue
            if best[o] >= 0 and best[o] != keep:  # keep's own best is pushed below
                heapq.heappush(heap, _heap_entry(o, best[o], best_mean[o], version))
        if best[keep] >= 0:
            heapq.heappush(heap, _heap_entry(keep, best[keep], best_mean[keep], version))

    # Resolve merge chains to their roots.
    for c in range(n):
        root = parent[c]
        while parent[root] != root:
            root = parent[root]
        parent[c] = root
    return parent, seen


@_compiled(nogil=True)
def rowwise_dot_kernel(indptr, indices, data, pairs, out, scratch):
    """``out[p]``: dot product of the rows of pair ``p`` of a CSR matrix with sorted columns.

    Scatters the current left row into ``scratch`` (dense, zero, as wide as the matrix; zero
    again on return), kept while consecutive pairs share it, as sorted candidate pairs do, and
    sums the right row's products in column order: the order of a sparse row-wise multiply and
    sum, plus exact zeros.

    Right rows are at random places of the matrix: they are read ahead (see ``_AHEAD``; a
    fifth less time at 300,000 articles). Returns what that saw.
    """
    m = pairs.shape[0]
    seen = 0
    left = -1
    for p in range(m):
        if p + 2 * _AHEAD < m:
            seen ^= indptr[pairs[p + 2 * _AHEAD, 1]]
        if p + _AHEAD < m:
            seen ^= _first_entry(indptr, indices, data, pairs[p + _AHEAD, 1])
        i, j = pairs[p, 0], pairs[p, 1]
        if i != left:
            if left >= 0:
                for k in range(indptr[left], indptr[left + 1]):
                    scratch[indices[k]] = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                scratch[indices[k]] = data[k]
            left = i
        acc = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            acc += data[k] * scratch[indices[k]]
        out[p] = acc
    if left >= 0:
        for k in range(indptr[left], indptr[left + 1]):
            scratch[indices[k]] = 0.0
    return seen


@_compiled(nogil=True)
def copy_rows_kernel(starts, lengths, out_at, terms, tf, out_terms, out_tf):
    """Copy row ``r`` (``lengths[r]`` entries of ``terms`` and ``tf`` from ``starts[r]`` on) to
    ``out_at[r]`` onwards in ``out_terms`` and ``out_tf``."""
    for r in range(starts.size):
        a, o = starts[r], out_at[r]
        for k in range(lengths[r]):
            out_terms[o + k] = terms[a + k]
            out_tf[o + k] = tf[a + k]


@_compiled()
def merge_into_kernel(keys, used, more_keys, values, more_values):
    """Merge the column ``more_values`` of key-sorted ``more_keys`` into the column ``values``
    of the key-sorted first ``used`` entries of ``keys``, in place, from the back (``values``
    has room for both; of equal keys, ``more`` go after).

    Only ``values`` is written: call once per column, the last time with ``keys`` itself as
    the column (each entry moves only after the entries behind it have left).
    """
    i = used - 1
    j = more_keys.size - 1
    for out in range(used + more_keys.size - 1, -1, -1):
        if j < 0:
            break  # the rest of the first entries are in place already
        if i >= 0 and keys[i] > more_keys[j]:
            values[out] = values[i]
            i -= 1
        else:
            values[out] = more_values[j]
            j -= 1


@_compiled(nogil=True)
def weigh_rows_kernel(indptr, terms, values, table):
    """In place, CSR rows times a value per column (``values[k] * table[terms[k]]``), zero
    products dropped and the kept entries moved to the front; returns the rows' new indptr."""
    out_ptr = np.empty_like(indptr)
    out_ptr[0] = 0
    kept = 0
    for r in range(indptr.size - 1):
        for k in range(indptr[r], indptr[r + 1]):
            value = values[k] * table[terms[k]]
            if value != 0.0:
                terms[kept] = terms[k]
                values[kept] = value
                kept += 1
        out_ptr[r + 1] = kept
    return out_ptr


@_compiled(nogil=True)
def intersection_sizes_kernel(flat, offsets, pairs, out):
    """``out[p]``: size of the intersection of pair ``p``'s sorted distinct sets
    (``flat[offsets[i]:offsets[i + 1]]``)."""
    for p in range(pairs.shape[0]):
        a, a_end = offsets[pairs[p, 0]], offsets[pairs[p, 0] + 1]
        b, b_end = offsets[pairs[p, 1]], offsets[pairs[p, 1] + 1]
        common = 0
        while a < a_end and b < b_end:  # branch-free steps: the comparisons are random
            x, y = flat[a], flat[b]
            common += x == y
            a += x <= y
            b += y <= x
        out[p] = common


@_compiled(nogil=True)
def _fmix64(h):
    """MurmurHash3's 64-bit finalizer (as :func:`dedupe_news.shingles.fmix64`)."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@_compiled(nogil=True, inline="always")
def _ngram_hash(ids, hashes, at, width):
    """The 32-bit hash of the word n-gram ``ids[at:at + width]``: its tokens' 64-bit hashes
    chained (``h * MIX + next``), mixed, the high 32 bits kept (see
    :func:`dedupe_news.shingles.ngram_hashes`)."""
    h = hashes[ids[at]]
    for k in range(1, width):
        h = h * np.uint64(0x9E3779B97F4A7C15) + hashes[ids[at + k]]
    return np.uint32(_fmix64(h) >> np.uint64(32))


@_compiled(nogil=True, inline="always")
def _oph_offer(row, value, key, bins):
    """Offer a 32-bit value to a one-permutation-hashing row: re-mixed (``fmix32(value ^
    key)``), binned by its high bits (``bins``: the row's length, as uint64), the bin keeping
    its minimum."""
    mask = np.uint64(0xFFFFFFFF)
    h = np.uint64(value) ^ np.uint64(key)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & mask
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & mask
    h ^= h >> np.uint64(16)
    b = (h * bins) >> np.uint64(32)
    if np.uint32(h) < row[b]:
        row[b] = np.uint32(h)


@_compiled(nogil=True)
def fold_kernel(codes, text_ends, fold, classes):
    """Texts given as one array of code points, case-folded by ``fold`` and without thousands
    separators: each "," after a decimal digit and before exactly three that end a word
    (``text._THOUSANDS``, tested on the folded text). What ``text._fold`` does, without
    holding the GIL: in Python it was a fifth of the preparation.

    ``fold`` maps each code point to one no wider, or to ``FOLDS_LONGER`` where its case
    folding is not one such code point: the first text with one stops the fold. Returns
    the folded code points (the input's type), each text's end in them, and the number of
    texts folded (all of them, or the index of the text that stopped the fold).
    """
    out = np.empty_like(codes)
    ends = np.empty_like(text_ends)
    n = 0
    begin = 0
    for t in range(text_ends.size):
        end = text_ends[t]
        for p in range(begin, end):
            c = fold[codes[p]]
            if c == FOLDS_LONGER:
                return out[:n], ends, t
            if (
                c == 44
                and begin < p
                and p + 3 < end
                and _separates_thousands(codes, p, end, fold, classes)
            ):
                continue
            out[n] = c
            n += 1
        ends[t] = n
        begin = end
    return out[:n], ends, text_ends.size


@_compiled(nogil=True)
def _separates_thousands(codes, p, end, fold, classes):
    """Whether the "," at ``p`` (with a character before it and three after) has a decimal digit
    before it and exactly three after it, then the end of the text or a non-word character
    (``classes`` 3 marks digits, bit 1 word characters; ``FOLDS_LONGER`` is neither)."""
    for q in (p - 1, p + 1, p + 2, p + 3):
        c = fold[codes[q]]
        if c == FOLDS_LONGER or classes[c] != 3:
            return False
    if p + 4 == end:
        return True
    c = fold[codes[p + 4]]  # FOLDS_LONGER stops the fold there anyway
    return c != FOLDS_LONGER and not classes[c] & 1


@_compiled(nogil=True)
def _token_end(codes, p, end, classes):
    """End of the token that starts at word character ``p``: ``\\d+(?:[.,]\\d+)+``, else ``\\w+``.

    ``classes[c]`` has bit 1 for word characters, and is 3 for decimal digits (see
    :func:`dedupe_news.text.char_classes`).
    """
    q = p
    if classes[codes[p]] == 3:
        while q < end and classes[codes[q]] == 3:
            q += 1
        decimal = False
        while q + 1 < end and (codes[q] == 46 or codes[q] == 44) and classes[codes[q + 1]] == 3:
            q += 1  # the "." or ","
            while q < end and classes[codes[q]] == 3:
                q += 1
            decimal = True
        if decimal:
            return q
        q = p
    while q < end and classes[codes[q]] & 1:
        q += 1
    return q


@_compiled(nogil=True)
def _close_line(n_lines, n_tokens, key, line_first, line_key, keyed, max_line_words):
    """Ends line ``n_lines`` (its words hashed into ``key``); returns the count of lines."""
    words = n_tokens - line_first[n_lines]
    keyed[n_lines] = 0 < words <= max_line_words
    line_key[n_lines] = _fmix64(key) if keyed[n_lines] else np.uint64(0)
    return n_lines + 1


@_compiled(nogil=True)
def scan_kernel(codes, text_ends, classes, max_line_words):
    """Tokens and non-blank lines of texts given as one array of code points.

    Returns each token's start, end and 64-bit hash (FNV-1a over its code points, then
    mixed); each line's first token (plus the total) and key (the hash of its words, for lines
    of 1 to ``max_line_words`` words, else 0 with ``keyed`` False); each text's first line
    (plus the total); and whether each text's layout is plain. The per-token arrays are views
    into buffers sized for the most tokens the texts could hold: callers copy what they keep
    (a copy here would touch their memory twice, and a batch scans hundreds of pieces).

    Lines end at every line break (``classes`` 12) and blank ones are skipped: the lines and
    tokens are those of the text with :func:`dedupe_news.text.normalize`'s layout, which a
    text has already (it is plain) when its only line break is ``"\\n"``, no line starts or
    ends with whitespace (``classes`` 4 and 12) and none has a tab or two spaces running.
    """
    # A token or a line takes at least two characters with what follows it (a separator, a
    # newline; a decimal number followed by a word has three), the last one of each text one.
    most = (codes.size + text_ends.size) // 2 + 1
    starts = np.empty(most, np.int64)
    ends = np.empty(most, np.int64)
    hashes = np.empty(most, np.uint64)
    line_first = np.empty(most + 1, np.int64)
    line_key = np.empty(most, np.uint64)  # written line by line: no pass over the buffer
    keyed = np.empty(most, np.bool_)
    text_first = np.empty(text_ends.size + 1, np.int64)
    plain = np.empty(text_ends.size, np.bool_)
    n_tokens = n_lines = 0
    begin = 0
    for t in range(text_ends.size):
        text_first[t] = n_lines
        end = text_ends[t]
        # no space or line break at either end
        flat = end == begin or not (classes[codes[begin]] | classes[codes[end - 1]]) & 4
        in_line = False  # a line with something other than whitespace is open
        key = np.uint64(0)
        p = begin
        while p < end:
            c = classes[codes[p]]
            if c & 1:
                if not in_line:
                    line_first[n_lines], key, in_line = n_tokens, np.uint64(0), True
                q = _token_end(codes, p, end, classes)  # a line break ends every token
                h = np.uint64(0xCBF29CE484222325)
                for k in range(p, q):
                    h = (h ^ np.uint64(codes[k])) * np.uint64(0x100000001B3)
                h = _fmix64(h)
                starts[n_tokens], ends[n_tokens], hashes[n_tokens] = p, q, h
                key = key * np.uint64(0x9E3779B97F4A7C15) + h
                n_tokens += 1
                p = q
                continue
            if c == 0:
                if not in_line:
                    line_first[n_lines], key, in_line = n_tokens, np.uint64(0), True
            elif c == 12:
                flat = flat and codes[p] == 10  # no line break but "\n"
                if in_line:
                    n_lines = _close_line(
                        n_lines, n_tokens, key, line_first, line_key, keyed, max_line_words
                    )
                    in_line = False
            elif flat:  # whitespace: within lines, no tab, no two spaces running
                flat = p > begin and p + 1 < end and codes[p] != 9
                flat = flat and classes[codes[p - 1]] != 12 and classes[codes[p + 1]] != 12
                flat = flat and not (codes[p] == 32 and codes[p - 1] == 32)
            p += 1
        if in_line:
            n_lines = _close_line(
                n_lines, n_tokens, key, line_first, line_key, keyed, max_line_words
            )
        plain[t] = flat
        begin = end
    text_first[text_ends.size] = n_lines
    line_first[n_lines] = n_tokens
    return (
        starts[:n_tokens],
        ends[:n_tokens],
        hashes[:n_tokens],
        line_first[: n_lines + 1].copy(),
        line_key[:n_lines].copy(),
        keyed[:n_lines].copy(),
        text_first,
        plain,
    )


@_compiled()
def _slot(v, slots, distinct, mask):
    """Where hash ``v`` is in an open-addressing table (linear probing, ``slots`` of ids into
    ``distinct``, -1 where empty), or the empty slot where it would go."""
    slot = v & mask
    while slots[slot] >= 0 and distinct[slots[slot]] != v:
        slot = (slot + np.uint64(1)) & mask
    return slot


@_compiled()
def first_seen_kernel(values, start, ids, new, slots, distinct, count):
    """Dense ids (into ``ids``) of ``values[start:]``, 64-bit hashes, in first-seen order,
    continuing a table of ``count``, until the values end or the table is half full.

    ``slots`` is an open-addressing table (linear probing, a power of two, -1 where empty) of
    ids into ``distinct``, the values by id; the values are hashes already, so their low bits
    place them. The positions of new values go to ``new`` (room for as many as the table
    takes). Returns where it stopped, the new count and how many were new.
    """
    mask = np.uint64(slots.size - 1)
    n_new = 0
    k = start
    while k < values.size:
        v = values[k]
        slot = _slot(v, slots, distinct, mask)
        if slots[slot] < 0:
            if 2 * (count + 1) > slots.size:
                break  # half full: the caller grows the table
            slots[slot] = count
            distinct[count] = v
            count += 1
            new[n_new] = k
            n_new += 1
        ids[k] = slots[slot]
        k += 1
    return k, count, n_new


@_compiled()
def find_seen_kernel(values, slots, distinct, ids):
    """Ids (into ``ids``) of ``values`` in a :func:`first_seen_kernel` table, -1 for unknown
    values; the table is left as it is."""
    mask = np.uint64(slots.size - 1)
    for k in range(values.size):
        v = values[k]
        slot = _slot(v, slots, distinct, mask)
        ids[k] = slots[slot]


class FirstSeen:
    """Dense ids for 64-bit hashes in the order they are first seen, across calls; the table
    grows with the distinct values, not with the values looked up."""

    def __init__(self) -> None:
        self.count = 0
        self._slots = np.full(16, -1, dtype=np.int64)
        self._distinct = np.empty(8, dtype=np.uint64)

    def ids(self, values: np.ndarray, dtype: type = np.int64) -> tuple[np.ndarray, np.ndarray]:
        """Ids of ``values`` (uint64) as ``dtype``, and the positions of those seen for the
        first time."""
        values = np.asarray(values, dtype=np.uint64)
        ids: np.ndarray = np.empty(values.size, dtype=dtype)
        found: list[np.ndarray] = []
        at = 0
        while True:
            room = min(self._slots.size // 2 - self.count, values.size - at)
            new = np.empty(room, dtype=np.int64)
            at, self.count, n_new = first_seen_kernel(
                values, at, ids, new, self._slots, self._distinct, self.count
            )
            found.append(new[:n_new])
            if at == values.size:
                return ids, np.concatenate(found)
            self._grow()

    @property
    def values(self) -> np.ndarray:
        """The distinct values seen, by id (a view: it changes as values are added)."""
        return self._distinct[: self.count]

    def find(self, values: np.ndarray, dtype: type = np.int64) -> np.ndarray:
        """Ids of ``values`` (uint64) as ``dtype``, -1 for those never seen; adds nothing."""
        values = np.asarray(values, dtype=np.uint64)
        ids: np.ndarray = np.empty(values.size, dtype=dtype)
        find_seen_kernel(values, self._slots, self._distinct, ids)
        return ids

    def _grow(self) -> None:
        """Twice the slots, and the known values placed again (ids stay as they were)."""
        known = self._distinct[: self.count]
        self._slots = np.full(2 * self._slots.size, -1, dtype=np.int64)
        self._distinct = np.empty(self._slots.size // 2, dtype=np.uint64)
        scratch = np.empty(known.size, dtype=np.int64)
        first_seen_kernel(known, 0, scratch, scratch.copy(), self._slots, self._distinct, 0)


@_compiled()
def distinct_texts_kernel(ids, texts, n_ids):
    """How many distinct texts each of ``n_ids`` ids occurs in, from items that come text by
    text (``texts`` non-decreasing): an id's items in one text are consecutive among its own."""
    counts = np.zeros(n_ids, dtype=np.int64)
    last = np.full(n_ids, -1, dtype=np.int64)
    for k in range(ids.size):
        i = ids[k]
        if last[i] != texts[k]:
            last[i] = texts[k]
            counts[i] += 1
    return counts


@_compiled()
def content_keys_kernel(ids, title_start, body_start, body_end):
    """A 128-bit key (two 64-bit lanes) per text of its title's length and its token ids:
    equal texts, equal keys; different ones collide with odds of about 2**-128 a pair."""
    keys = np.empty((title_start.size, 2), np.uint64)
    for k in range(title_start.size):
        a = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(body_start[k] - title_start[k])
        b = np.uint64(0xC2B2AE3D27D4EB4F) ^ np.uint64(body_end[k] - title_start[k])
        for p in range(title_start[k], body_end[k]):
            v = np.uint64(ids[p])
            a = (a ^ v) * np.uint64(0xFF51AFD7ED558CCD)
            a ^= a >> np.uint64(29)
            b = (b + v) * np.uint64(0xC4CEB9FE1A85EC53)
            b ^= b >> np.uint64(31)
        keys[k, 0] = _fmix64(a)
        keys[k, 1] = _fmix64(b)
    return keys


@_compiled()
def code_pairs_kernel(codes, n, pairs):
    """Writes the pair ``(code // n, code % n)`` of each code to ``pairs``; a division only
    where the row changes, which in sorted codes (the usual case) is once a row."""
    row = row_start = 0
    for k in range(codes.size):
        code = codes[k]
        if code < row_start or code >= row_start + n:
            row = code // n
            row_start = row * n
        pairs[k, 0] = row
        pairs[k, 1] = code - row_start


_FOLD = np.uint64(0x100000001B3)  # band keys and split keys: key * _FOLD + value, mixed
_SHUFFLE = np.uint64(0x9E3779B97F4A7C15)  # a crowded bucket's order: node * _SHUFFLE + band, mixed


@_compiled(nogil=True)
def bucket_pairs_kernel(
    keys, order, nodes, band, max_partners, max_bucket, levels, sig, bands, rows, splits
):
    """The pairs of one band's buckets, as two arrays (each pair's nodes in either order); see
    :func:`dedupe_news.lsh.bucket_pairs`.

    ``keys`` are the band's keys of its rows, ``order`` an argsort of them (reordered here),
    ``nodes`` the rows' nodes. A bucket of more than ``max_bucket`` rows (-1: none is split) is
    split by its rows' next values, up to ``levels`` times: ``splits[row, level - 1]``, or,
    where ``splits`` has no rows, ``rows`` columns of ``sig[row]`` ``level * bands`` bands on
    (:func:`dedupe_news.lsh.split_values`). Each level sorts only the crowded buckets' rows,
    in their place. A bucket of more than ``max_partners + 1`` rows is then put in a fixed
    shuffle (a hash of node and band) and each row paired with the next ``max_partners``.
    """
    m = keys.size
    key = np.empty(m, dtype=np.uint64)  # each position's key as split so far
    for p in range(m):
        key[p] = keys[order[p]]
    crowded = np.zeros(m, dtype=np.bool_)  # by row: in a bucket split at this level
    value = np.empty(m, dtype=np.uint64)  # by row: the value it is split by
    for level in range(1, levels + 1 if max_bucket >= 0 else 1):
        any_crowded = False
        start = 0
        while start < m:
            stop = _run_end(key, start)
            if stop - start > max_bucket:
                any_crowded = True
                for p in range(start, stop):
                    crowded[order[p]] = True
            start = stop
        if not any_crowded:
            break
        # The values are read in the rows' order (the signatures outgrow the caches; rows in
        # key order would miss them row by row), then taken in key order from a small array.
        for row in range(m):
            if crowded[row]:
                crowded[row] = False
                if splits.shape[0] > 0:
                    value[row] = splits[row, level - 1]
                else:
                    block = (band + level * bands) % (sig.shape[1] // rows)
                    value[row] = _band_key(sig, row, block * rows, rows, np.uint64(0))
        start = 0
        while start < m:
            stop = _run_end(key, start)
            if stop - start > max_bucket:
                for p in range(start, stop):
                    key[p] = _fmix64((key[p] + np.uint64(level)) * _FOLD + value[order[p]])
                _sort_together(key, order, start, stop)
            start = stop
    first = np.empty(max(m, 16), dtype=np.int64)
    second = np.empty(max(m, 16), dtype=np.int64)
    count = 0
    start = 0
    while start < m:
        stop = _run_end(key, start)
        size = stop - start
        if size > 1:
            if size > max_partners + 1:  # put in the shuffle, in place
                for p in range(start, stop):
                    key[p] = _fmix64(np.uint64(nodes[order[p]]) * _SHUFFLE + np.uint64(band))
                _sort_together(key, order, start, stop)
            if size - 1 <= max_partners:  # every pair
                need = count + size * (size - 1) // 2
            else:  # each row with the next max_partners, fewer near the end
                need = count + max_partners * (max_partners + 1) // 2
                need += (size - 1 - max_partners) * max_partners
            if need > first.size:
                grown = max(need, 2 * first.size)
                first = _grown_copy(first, count, grown)
                second = _grown_copy(second, count, grown)
            for t in range(start, stop):
                for u in range(t + 1, min(stop, t + 1 + max_partners)):
                    first[count], second[count] = nodes[order[t]], nodes[order[u]]
                    count += 1
        start = stop
    return first[:count], second[:count]


@_compiled(nogil=True)
def _sort_together(values, other, start, stop):
    """Sort ``values[start:stop]`` in place, ``other[start:stop]`` moved alike: insertion sort
    for a few values (most buckets), else NumPy's sort (an allocation costs more than sorting
    a dozen values)."""
    if stop - start > 32:
        by_value = np.argsort(values[start:stop])
        other[start:stop] = other[start:stop][by_value]
        values[start:stop] = values[start:stop][by_value]
        return
    for p in range(start + 1, stop):
        v, o = values[p], other[p]
        q = p
        while q > start and values[q - 1] > v:
            values[q], other[q] = values[q - 1], other[q - 1]
            q -= 1
        values[q], other[q] = v, o


@_compiled(nogil=True, inline="always")
def _run_end(values, start):
    """The end of the run of values equal to ``values[start]``."""
    stop = start + 1
    while stop < values.size and values[stop] == values[start]:
        stop += 1
    return stop


@_compiled(nogil=True, inline="always")
def _band_key(sig, row, first, rows, key):
    """``rows`` values of ``sig[row]`` from column ``first`` on, folded into ``key``: an LSH
    bucket key (band ``b``'s starts from ``b``; a split value, from 0)."""
    for c in range(first, first + rows):
        key = _fmix64(key * _FOLD + np.uint64(sig[row, c]))
    return key


@_compiled(nogil=True)
def band_keys_kernel(sig, first, rows, key, out):
    """``out[row]``: :func:`_band_key` of each row of ``sig``."""
    for row in range(sig.shape[0]):
        out[row] = _band_key(sig, row, first, rows, np.uint64(key))


@_compiled(nogil=True)
def _grown_copy(values, count, size):
    """``values[:count]`` in an array of ``size``."""
    out = np.empty(size, dtype=values.dtype)
    out[:count] = values[:count]
    return out


@_compiled(nogil=True)
def partition_kernel(values, pivot):
    """Reorders ``values`` in place so those below ``pivot`` come first; returns how many
    they are."""
    i, j = 0, values.size - 1
    while True:
        while i <= j and values[i] < pivot:
            i += 1
        while i <= j and values[j] >= pivot:
            j -= 1
        if i >= j:
            return i
        values[i], values[j] = values[j], values[i]
        i += 1
        j -= 1


@_compiled()
def compact_sorted_kernel(values):
    """Moves the distinct values of a sorted array to its front; returns how many there are."""
    if values.size == 0:
        return 0
    kept = 1
    for i in range(1, values.size):
        if values[i] != values[kept - 1]:
            values[kept] = values[i]
            kept += 1
    return kept


@_compiled()
def sorted_positions_kernel(base, values):
    """Index in ``base`` of each of ``values``, ``-1`` where absent; both sorted, base's
    values distinct. One pass over both."""
    out = np.full(values.size, -1, dtype=np.int64)
    i = 0
    for j in range(values.size):
        while i < base.size and base[i] < values[j]:
            i += 1
        if i < base.size and base[i] == values[j]:
            out[j] = i
    return out


@_compiled()
def oph_kernel(flat, offsets, key, out):
    """One-permutation hashing of each set ``flat[offsets[i]:offsets[i + 1]]`` into row ``i``
    of ``out`` (filled with ones): each value re-mixed (``fmix32(h ^ key)``), binned by its
    high bits, each bin keeping its minimum (see :func:`dedupe_news.minhash.oph_signatures`)."""
    bins = np.uint64(out.shape[1])
    for i in range(offsets.size - 1):
        row = out[i]
        for k in range(offsets[i], offsets[i + 1]):
            _oph_offer(row, flat[k], key, bins)


@_compiled()
def minhash_kernel(flat, offsets, a, b):
    """MinHash (datasketch's ``affine32``) of each set ``flat[offsets[i]:offsets[i + 1]]``:
    per permutation the minimum of ``a * fmix32(h) + b`` mod 2**32; empty sets stay all ones."""
    mask = np.uint64(0xFFFFFFFF)
    out = np.full((offsets.size - 1, a.size), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    for i in range(offsets.size - 1):
        row = out[i]
        for k in range(offsets[i], offsets[i + 1]):
            h = np.uint64(flat[k])
            h ^= h >> np.uint64(16)
            h = (h * np.uint64(0x85EBCA6B)) & mask
            h ^= h >> np.uint64(13)
            h = (h * np.uint64(0xC2B2AE35)) & mask
            h ^= h >> np.uint64(16)
            for p in range(a.size):
                value = np.uint32((np.uint64(a[p]) * h + np.uint64(b[p])) & mask)
                if value < row[p]:
                    row[p] = value
    return out


@_compiled()
def _number_range(tokens, key, a, b, first_id, key_of, count):
    """Number the keys (``key[token]``) of ``tokens[a:b]`` not seen yet from ``count`` on;
    returns the new count."""
    for j in range(a, b):
        t = key[tokens[j]]
        if first_id[t] < 0:
            first_id[t] = count
            key_of[count] = t
            count += 1
    return count


@_compiled()
def kept_numbering_kernel(title, body, order, n_keys):
    """Dense ids (int32) in first-seen order of each text's title tokens, then its body's
    tokens but those of removed lines, text ``order[0]`` first, then ``order[1]``, ...: the id
    of each key (-1 for the keys of no kept token), and the key of each id.

    ``title`` is ``(ids, key, ends)``: the titles' token ids, each id's key and where each
    title's tokens end. ``body`` is ``(ids, key, line_first, removed, text_first)``: the bodies'
    token ids, each id's key, their lines, which lines go and each text's lines. Equal tokens
    have one key, below ``n_keys``: what interleaving the tokens and then numbering them gives,
    without the interleaved tokens.
    """
    title_ids, title_key, title_ends = title
    body_ids, body_key, line_first, removed, text_first = body
    first_id = np.full(n_keys, -1, np.int32)
    key_of = np.empty(n_keys, np.int64)
    count = 0
    for c in range(order.size):
        t = order[c]
        a, b = title_ends[t], title_ends[t + 1]
        count = _number_range(title_ids, title_key, a, b, first_id, key_of, count)
        for line in range(text_first[t], text_first[t + 1]):
            if not removed[line]:
                a, b = line_first[line], line_first[line + 1]
                count = _number_range(body_ids, body_key, a, b, first_id, key_of, count)
    return first_id, key_of[:count].copy()


@_compiled()
def lay_out_kept_kernel(title, body, first_id, out, out_first):
    """Text ``t``'s title tokens, then its body's but those of removed lines (``title`` and
    ``body`` as :func:`kept_numbering_kernel` takes them), as the ids of their keys
    (``first_id``) into ``out[out_first[t]:out_first[t + 1]]``, from the last text back.

    ``out`` may be the bodies' ids itself where no text's ids start before its body's tokens
    (``out_first[t] >= line_first[text_first[t]]`` for every ``t`` and for the end): each
    token is then written at or after the place it was read from, once every token before
    that place has been read.
    """
    title_ids, title_key, title_ends = title
    body_ids, body_key, line_first, removed, text_first = body
    for t in range(text_first.size - 2, -1, -1):
        k = out_first[t + 1]
        for line in range(text_first[t + 1] - 1, text_first[t] - 1, -1):
            if not removed[line]:
                for j in range(line_first[line + 1] - 1, line_first[line] - 1, -1):
                    k -= 1
                    out[k] = first_id[body_key[body_ids[j]]]
        for j in range(title_ends[t + 1] - 1, title_ends[t] - 1, -1):
            k -= 1
            out[k] = first_id[title_key[title_ids[j]]]


@_compiled()
def interleave_kernel(first, first_ends, second, second_kept, second_ends):
    """Part ``k`` of ``first`` then the kept values of part ``k`` of ``second``, for every
    ``k``, in one array; and the length of each of those pieces (first 0, second 0, ...)."""
    n = first_ends.size - 1
    out = np.empty(first.size + np.count_nonzero(second_kept), dtype=first.dtype)
    lengths = np.empty(2 * n, dtype=np.int64)
    k = 0
    for t in range(n):
        start = k
        for j in range(first_ends[t], first_ends[t + 1]):
            out[k] = first[j]
            k += 1
        lengths[2 * t] = k - start
        start = k
        for j in range(second_ends[t], second_ends[t + 1]):
            if second_kept[j]:
                out[k] = second[j]
                k += 1
        lengths[2 * t + 1] = k - start
    return out, lengths


@_compiled(nogil=True)
def offer_neighbours_kernel(pairs, sims, target, best, kept, lo, hi):
    """Offer each undirected pair to those of its two nodes in ``lo:hi`` (so threads can share
    the nodes), to their lists of best partners (most similar first, ties to the smaller
    partner): ``target``/``best`` hold ``k`` per node, ``kept`` how many each has. The order
    being total, the lists do not depend on the order of the pairs, nor on how they are split
    between calls."""
    k = target.shape[1]
    for e in range(pairs.shape[0]):
        s = sims[e]
        for a, b in ((pairs[e, 0], pairs[e, 1]), (pairs[e, 1], pairs[e, 0])):
            if a < lo or a >= hi:
                continue
            at = kept[a]
            while at > 0 and (
                best[a, at - 1] < s or (best[a, at - 1] == s and target[a, at - 1] > b)
            ):
                at -= 1
            if at >= k:
                continue
            for q in range(min(kept[a], k - 1), at, -1):
                target[a, q] = target[a, q - 1]
                best[a, q] = best[a, q - 1]
            target[a, at] = b
            best[a, at] = s
            kept[a] = min(kept[a] + 1, k)


@_compiled()
def listed_neighbours_kernel(target, best, kept):
    """The lists of :func:`offer_neighbours_kernel` as ``(source, target, sim)``, nodes in
    order."""
    size = kept.sum()
    source_out = np.empty(size, dtype=np.int64)
    target_out = np.empty(size, dtype=np.int64)
    best_out = np.empty(size, dtype=np.float64)
    out = 0
    for node in range(kept.size):
        for q in range(kept[node]):
            source_out[out] = node
            target_out[out] = target[node, q]
            best_out[out] = best[node, q]
            out += 1
    return source_out, target_out, best_out


@_compiled()
def two_step_codes_kernel(first, target, n):
    """Pair codes ``a * n + b`` (``a < b``, repeats possible) two steps apart among each node's
    partners ``target[first[i]:first[i + 1]]``: two partners of one node (siblings), and a node
    with a partner's partner when the node is the smaller of the two."""
    size = 0
    for i in range(n):
        degree = first[i + 1] - first[i]
        size += degree * (degree - 1) // 2
        for x in range(first[i], first[i + 1]):
            size += first[target[x] + 1] - first[target[x]]
    out = np.empty(size, dtype=np.int64)
    count = 0
    for i in range(n):
        for x in range(first[i], first[i + 1]):
            a = target[x]
            for y in range(x + 1, first[i + 1]):
                b = target[y]
                out[count] = min(a, b) * n + max(a, b)
                count += 1
            for y in range(first[a], first[a + 1]):
                if i < target[y]:
                    out[count] = i * n + target[y]
                    count += 1
    return out[:count]


@_compiled(nogil=True)
def ngram_oph_kernel(ids, starts, ends, hashes, n, key, documents, out):
    """Row ``d`` of ``out`` (filled with ones): :func:`oph_kernel` of the word ``n``-gram
    hashes of each document ``d`` in ``documents``, each made as :func:`ngram_hashes_kernel`
    makes it, straight from the tokens. A bin keeps the same minimum over a document's
    n-grams as over their distinct set, so the set (a sort per document) is never made."""
    bins = np.uint64(out.shape[1])
    for d in documents:
        start, size = starts[d], ends[d] - starts[d]
        if size == 0:
            continue
        width, row = min(n, size), out[d]
        for i in range(size - width + 1):
            _oph_offer(row, _ngram_hash(ids, hashes, start + i, width), key, bins)


@_compiled(nogil=True)
def ngram_hashes_kernel(ids, starts, ends, hashes, n, documents, out, lengths):
    """For each document ``d`` in ``documents`` (``ids[starts[d]:ends[d]]``, ranges that do not
    overlap): the sorted distinct 32-bit hashes of its word ``n``-grams (see
    :func:`dedupe_news.shingles.ngram_hashes`), written at ``out[starts[d]:]`` (``out`` as long
    as ``ids``), and their number in ``lengths[d]``."""
    for d in documents:
        start, size = starts[d], ends[d] - starts[d]
        if size == 0:
            lengths[d] = 0
            continue
        width = min(n, size)
        grams = np.empty(size - width + 1, dtype=np.uint32)
        for i in range(grams.size):
            grams[i] = _ngram_hash(ids, hashes, start + i, width)
        grams.sort()
        kept = 0
        for i in range(grams.size):
            if i == 0 or grams[i] != grams[i - 1]:
                out[start + kept] = grams[i]
                kept += 1
        lengths[d] = kept


@_compiled()
def _counted(r, first_start, second_start, second_end, second_limit):
    """The token ranges row ``r`` counts: the first ``second_limit`` (all when 0) of its
    second part, then its first part."""
    a, b = second_start[r], second_end[r]
    if second_limit > 0:
        b = min(b, a + second_limit)
    return a, b, first_start[r], a


@_compiled()
def row_frequency_kernel(ids, first_start, second_start, second_end, second_limit, n_terms):
    """Per term, the rows whose counted tokens (see :func:`count_rows_kernel`) hold it."""
    frequency = np.zeros(n_terms, dtype=np.int64)
    row_of = np.full(n_terms, -1, dtype=np.int64)  # the last row that held each term
    for r in range(first_start.size):
        a, b, c, d = _counted(r, first_start, second_start, second_end, second_limit)
        for lo, hi in ((a, b), (c, d)):
            for k in range(lo, hi):
                term = ids[k]
                if row_of[term] != r:
                    row_of[term] = r
                    frequency[term] += 1
    return frequency


@_compiled()
def count_rows_kernel(
    ids, first_start, second_start, second_end, first_weight, second_limit, counted
):
    """CSR rows (``indptr``, sorted ``indices``, summed ``data``) of weighted term counts of the
    terms flagged in ``counted`` (one flag per term): row ``r`` counts the first
    ``second_limit`` (all when 0) of ``ids[second_start[r]:second_end[r]]`` at 1 each, then
    ``ids[first_start[r]:second_start[r]]`` at ``first_weight`` each (the sums run in that
    order)."""
    rows = first_start.size
    n_terms = counted.size
    size = 0
    for r in range(rows):
        a, b, c, d = _counted(r, first_start, second_start, second_end, second_limit)
        size += (b - a) + (d - c)
    indptr = np.zeros(rows + 1, dtype=np.int64)
    indices = np.empty(size, dtype=np.int32)
    data = np.empty(size, dtype=np.float64)
    row_of = np.full(n_terms, -1, dtype=np.int64)  # the last row that counted each term
    total = np.zeros(n_terms, dtype=np.float64)
    nnz = 0
    for r in range(rows):
        a, b, c, d = _counted(r, first_start, second_start, second_end, second_limit)
        start = nnz
        for lo, hi, weight in ((a, b, 1.0), (c, d, first_weight)):
            for k in range(lo, hi):
                term = ids[k]
                if not counted[term]:
                    continue
                if row_of[term] != r:
                    row_of[term] = r
                    total[term] = weight
                    indices[nnz] = term
                    nnz += 1
                else:
                    total[term] += weight
        indices[start:nnz].sort()
        for k in range(start, nnz):
            data[k] = total[indices[k]]
        indptr[r + 1] = nnz
    return indptr, indices[:nnz].copy(), data[:nnz].copy()


@_compiled()
def top_terms_kernel(indptr, indices, data, k):
    """Each CSR row's ``k`` largest entries (ties to the smaller column), as the row's columns
    in ascending order: ``(indptr, columns)``."""
    rows = indptr.size - 1
    out_ptr = np.zeros(rows + 1, dtype=np.int64)
    for r in range(rows):
        out_ptr[r + 1] = out_ptr[r] + min(indptr[r + 1] - indptr[r], k)
    out = np.empty(out_ptr[rows], dtype=np.int64)
    for r in range(rows):
        cols = indices[indptr[r] : indptr[r + 1]].astype(np.int64)
        if cols.size > k:
            by_column = np.argsort(cols, kind="mergesort")
            cols = cols[by_column]
            # Stable on columns in ascending order: equal values keep the smaller column first.
            top = np.argsort(-data[indptr[r] : indptr[r + 1]][by_column], kind="mergesort")
            cols = cols[top[:k]]
        out[out_ptr[r] : out_ptr[r + 1]] = np.sort(cols)
    return out_ptr, out
