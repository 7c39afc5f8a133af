"""Component path of the screening: islands split by lost pipes, all patterns at once.

Scenarios with lost pipes are grouped by their pattern of lost pipes; every
(pattern, hit island) pair gets its own copy of the island's graph less the
lost pipes; all copies go into one block-diagonal graph and one
``scipy.sparse.csgraph.connected_components`` call splits them all. Each
component then gets its own supplied fraction (capacity of the units at its
sites over its demand; zero where no site is left), vectorised over every
scenario row.

A component's fraction is *decided* when the pipes can only carry less than
in the design: no lost pipe is bypassed (its two ends are no longer joined),
one site feeds the component, and all its buildings were designed for that
site. Otherwise it is *unsure*: a ring re-feeds the cut section, or heat
comes from another site than designed; :mod:`teplo.resilience.screening`
sends those to the network check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from teplo.resilience.availability import expand
from teplo.resilience.system import STORAGE, StressSystem


@dataclass(frozen=True)
class _Components:
    """Connected components after pipe losses, for many patterns at once (block-diagonal graph).

    A *pair* is (pattern, affected island); every pair gets its own copy of
    the island's nodes, so one ``connected_components`` call splits all of them.
    """

    pair_key: np.ndarray  # pattern · n_islands + island, sorted
    pattern_pairs: sparse.csr_array  # patterns x pairs (bool)
    pair_buildings: sparse.csr_array  # pairs x building entries (bool); entries index b_index/b_comp
    b_index: np.ndarray  # building of each building entry
    b_comp: np.ndarray  # its component
    unit_key: np.ndarray  # pair · n_units + unit, sorted
    unit_comp: np.ndarray  # component of each unit_key entry
    base_kw: np.ndarray  # per component: capacity [kW]
    space_kw: np.ndarray  # per component: design space load [kW]
    dhw_kw: np.ndarray  # per component [kW]
    unsure: np.ndarray  # per component: screening cannot decide


def _node_positions(system: StressSystem) -> np.ndarray:
    """Position of every node within its island's (sorted) node list; -1 off islands."""
    nodes = system.islands.nodes
    pos = np.full(len(system.network.node_ids), -1, dtype=np.int64)
    counts = np.diff(nodes.indptr)
    pos[nodes.indices] = np.arange(nodes.indices.size) - np.repeat(nodes.indptr[:-1], counts)
    return pos


def _components(system: StressSystem, patterns: sparse.csr_array, with_storage: bool) -> _Components:
    """Split the islands hit by each pattern of lost pipes (rows of ``patterns``) into components."""
    net, isl, u = system.network, system.islands, system.units
    n_isl, n_edges, n_units = max(isl.n, 1), net.edge_u.size, len(u)
    pos = _node_positions(system)
    k_of, p_of = _entries(patterns)
    p_isl = net.pipe_island[p_of]
    on = p_isl >= 0
    k_of, p_of, p_isl = k_of[on], p_of[on], p_isl[on]
    pair_key = np.unique(k_of * n_isl + p_isl)
    pair_k, pair_i = pair_key // n_isl, pair_key % n_isl
    n_pairs = pair_key.size
    pairs = np.arange(n_pairs)
    n_nodes = np.diff(isl.nodes.indptr)[pair_i]
    off = np.concatenate([[0], np.cumsum(n_nodes)])
    # edges of each pair's island copy, less the pattern's lost pipes
    er, ee, _ = expand(pairs, pair_i, isl.edges)
    keep = ~np.isin(pair_k[er] * n_edges + ee, k_of * n_edges + p_of)
    er, ee = er[keep], ee[keep]
    total = int(off[-1])
    graph = sparse.csr_array(
        (np.ones(er.size, dtype=np.int8), (off[er] + pos[net.edge_u[ee]], off[er] + pos[net.edge_v[ee]])),
        shape=(total, total),
    )
    n_comp, label = csgraph.connected_components(graph, directed=False)
    br, bb, _ = expand(pairs, pair_i, isl.buildings)
    b_comp = label[off[br] + pos[system.buildings.node[bb]]]
    sr, ss, _ = expand(pairs, pair_i, isl.sites)
    s_comp = label[off[sr] + pos[system.sites.node[ss]]]
    ur, uu, src = expand(sr, ss, system.sites.units)
    u_comp = s_comp[src]
    cap = np.where((u.kind[uu] == STORAGE) & ~with_storage, 0.0, u.heat_kw[uu])
    # decidability: no lost pipe bypassed (both ends still joined: a ring re-feeds), one feeding
    # site, and every building designed for that site
    lost_pair = np.searchsorted(pair_key, k_of * n_isl + p_isl)
    lu = label[off[lost_pair] + pos[net.edge_u[p_of]]]
    lv = label[off[lost_pair] + pos[net.edge_v[p_of]]]
    rerouted = np.zeros(n_comp, dtype=bool)
    rerouted[lu[lu == lv]] = True
    feeding = np.bincount(src, weights=cap, minlength=ss.size) > 0
    n_feed = np.bincount(s_comp[feeding], minlength=n_comp)
    comp_site = np.full(n_comp, -1, dtype=np.int64)
    comp_site[s_comp[feeding]] = ss[feeding]
    foreign = np.bincount(b_comp, weights=system.buildings.site[bb] != comp_site[b_comp], minlength=n_comp) > 0
    unit_key = ur * n_units + uu
    order = np.argsort(unit_key, kind="stable")
    b_indptr = np.concatenate([[0], np.cumsum(np.bincount(br, minlength=n_pairs))])
    p_indptr = np.searchsorted(pair_k, np.arange(patterns.shape[0] + 1))
    return _Components(
        pair_key=pair_key,
        pattern_pairs=sparse.csr_array(
            (np.ones(n_pairs, dtype=bool), pairs, p_indptr), shape=(patterns.shape[0], n_pairs)
        ),
        pair_buildings=sparse.csr_array(
            (np.ones(bb.size, dtype=bool), np.arange(bb.size), b_indptr), shape=(n_pairs, bb.size)
        ),
        b_index=bb,
        b_comp=b_comp,
        unit_key=unit_key[order],
        unit_comp=u_comp[order],
        base_kw=np.bincount(u_comp, weights=cap, minlength=n_comp),
        space_kw=np.bincount(b_comp, weights=system.buildings.space_kw[bb], minlength=n_comp),
        dhw_kw=np.bincount(b_comp, weights=system.buildings.dhw_kw[bb], minlength=n_comp),
        unsure=rerouted | (n_feed > 1) | foreign,
    )


def component_fractions(
    system: StressSystem, lost: sparse.csr_array, pipes: sparse.csr_array, scale: np.ndarray, with_storage: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Component path for every scenario with lost pipes, vectorised over scenarios and patterns.

    Returns building entries (row, building, fraction) for every building of
    every hit island, and the hit (row, island) pairs with their undecided flag.
    """
    n_isl, n_units = max(system.islands.n, 1), len(system.units)
    rows, pattern = _patterns(pipes)
    if rows.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0), z, z, np.zeros(0, dtype=bool)
    reps = np.unique(pattern, return_index=True)[1]
    comp = _components(system, sparse.csr_array(pipes[rows[reps]]), with_storage)
    n_comp = comp.base_kw.size
    # lost capacity per (row, component)
    rr, uu = _entries(sparse.csr_array(lost[rows]))
    pair = np.searchsorted(comp.pair_key, pattern[rr] * n_isl + system.units.island[uu])
    hit = (pair < comp.pair_key.size) & (comp.pair_key[np.minimum(pair, comp.pair_key.size - 1)]
                                         == pattern[rr] * n_isl + system.units.island[uu])
    rr, uu, pair = rr[hit], uu[hit], pair[hit]
    cu = comp.unit_comp[np.searchsorted(comp.unit_key, pair * n_units + uu)]
    cap = np.where((system.units.kind[uu] == STORAGE) & ~with_storage, 0.0, system.units.heat_kw[uu])
    lost_keys, inv = np.unique(rr * n_comp + cu, return_inverse=True)
    lost_kw = np.bincount(inv, weights=cap, minlength=lost_keys.size)
    # every building of every hit island, per row
    pr, pp, _ = expand(np.arange(rows.size), pattern, comp.pattern_pairs)
    er, ej, src = expand(pr, pp, comp.pair_buildings)
    c = comp.b_comp[ej]
    key = er * n_comp + c
    at = np.searchsorted(lost_keys, key)
    found = (at < lost_keys.size) & (lost_keys[np.minimum(at, max(lost_keys.size - 1, 0))] == key) \
        if lost_keys.size else np.zeros(key.size, dtype=bool)
    lost_b = np.where(found, lost_kw[np.minimum(at, max(lost_kw.size - 1, 0))] if lost_kw.size else 0.0, 0.0)
    demand = comp.space_kw[c] * scale[rows[er]] + comp.dhw_kw[c]
    avail = np.maximum(comp.base_kw[c] - lost_b, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(demand > 0, np.minimum(1.0, avail / demand), 1.0)
    unsure = comp.unsure[c] & (frac > 0)
    island = comp.pair_key[pp] % n_isl
    ri_rows, ri_islands = rows[pr], island
    und = np.zeros(pr.size, dtype=bool)
    np.logical_or.at(und, src, unsure)
    return rows[er], comp.b_index[ej], frac, ri_rows, ri_islands, und


def _entries(m: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return rows, m.indices.astype(np.int64)


def _patterns(pipes_lost: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Rows with lost pipes and a pattern id per row (rows with the same lost pipes share it)."""
    ind, ptr = pipes_lost.indices, pipes_lost.indptr
    rows = np.flatnonzero(np.diff(ptr) > 0)
    ids: dict[bytes, int] = {}
    pattern = np.fromiter(
        (ids.setdefault(ind[ptr[r] : ptr[r + 1]].tobytes(), len(ids)) for r in rows), dtype=np.int64, count=rows.size
    )
    return rows, pattern
