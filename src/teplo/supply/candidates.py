"""Which sites a district may connect to, and the dispersion circles.

A district is offered only its ``n_candidate_sites`` nearest sites along streets
within ``pipe_reach_m - radius_m`` of its centre (so that no building is farther
than the pipe reach from its site). A dense district x site block does not solve
at city scale (DESIGN.md, notes); a sparse arc list does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from teplo.supply.distance import StreetIndex


def candidate_arcs(
    districts: pd.DataFrame,
    sites: pd.DataFrame,
    index: StreetIndex,
    pipe_reach_m: float,
    k: int,
    min_spacing_m: float = 0.0,
) -> pd.DataFrame:
    """District-site arcs: columns district_id, site_id, distance_m [m], rank.

    The distance runs from the district's street node (the projection of its
    centre on the nearest street, where :func:`make_districts` measures its
    radius from) along streets to the site.

    Each district gets its ``k`` nearest sites along streets within
    ``pipe_reach_m - radius_m``, skipping any site closer than ``min_spacing_m``
    (straight line) to one already offered, so that the offer is spread out:
    two offered sites rarely fall in the same strike circle, and a backup site
    is not next to the primary one. ``districts`` needs district_id, x, y,
    radius_m; ``sites`` site_id and point geometry.
    """
    dxy = districts[["x", "y"]].to_numpy(dtype=float)
    sxy = shapely.get_coordinates(sites.geometry.to_numpy())
    limits = np.maximum(pipe_reach_m - districts["radius_m"].to_numpy(dtype=float), 0.0)
    pool = k if min_spacing_m <= 0 else 8 * k
    near = index.nearest(dxy, sxy, pool, limits, src_leg=False)
    if min_spacing_m > 0 and len(near):
        near = _spread(near, sxy, k, min_spacing_m)
    return pd.DataFrame({
        "district_id": districts["district_id"].to_numpy()[near["src"].to_numpy()],
        "site_id": sites["site_id"].to_numpy()[near["dst"].to_numpy()],
        "distance_m": near["distance_m"].to_numpy(),
        "rank": near["rank"].to_numpy(),
    })


def _spread(near: pd.DataFrame, sxy: np.ndarray, k: int, spacing: float) -> pd.DataFrame:
    """Greedy per source: keep the nearest sites that are at least ``spacing`` apart, up to ``k``."""
    keep = np.zeros(len(near), dtype=bool)
    src = near["src"].to_numpy()
    dst = near["dst"].to_numpy()
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    ends = np.r_[starts[1:], len(src)]
    for lo, hi in zip(starts, ends, strict=True):  # loop over districts, each a short sorted list
        chosen: list[int] = []
        for i in range(lo, hi):
            p = sxy[dst[i]]
            if all(np.hypot(*(p - sxy[dst[j]])) >= spacing for j in chosen):
                chosen.append(i)
                if len(chosen) == k:
                    break
        keep[chosen] = True
    out = near.loc[keep].copy()
    out["rank"] = out.groupby("src").cumcount()
    return out.reset_index(drop=True)


def dispersion_circles(sites: pd.DataFrame, radius_m: float, members: pd.Index | None = None) -> pd.DataFrame:
    """Membership of the circles of radius ``radius_m`` [m] around every candidate site.

    ``members`` restricts which sites can hold capacity (those in the model); a
    circle whose member set is contained in another circle's is dropped (its
    constraint is implied). Returns columns circle_id (the centre's site_id), site_id.
    """
    xy = shapely.get_coordinates(sites.geometry.to_numpy())
    ids = sites["site_id"].to_numpy()
    holder = np.ones(len(ids), dtype=bool) if members is None else np.isin(ids, members)
    if not holder.any():
        return pd.DataFrame({"circle_id": pd.Series(dtype=str), "site_id": pd.Series(dtype=str)})
    hxy, hid = xy[holder], ids[holder]
    found = cKDTree(xy).sparse_distance_matrix(cKDTree(hxy), radius_m, output_type="ndarray")
    pairs = pd.DataFrame({"c": found["i"], "m": found["j"]})
    # the centre itself at distance 0 may be missing from a sparse result: add holders as their own members
    own = np.flatnonzero(holder)
    pairs = pd.concat([pairs, pd.DataFrame({"c": own, "m": np.arange(len(own))})]).drop_duplicates()
    pairs = pairs.sort_values(["c", "m"], kind="stable")
    sets = pairs.groupby("c")["m"].apply(lambda s: frozenset(s.tolist()))
    sets = sets[~sets.duplicated(keep="first")]
    keep = []
    by_member: dict[int, list[int]] = {}
    for c, mem in sets.items():
        for j in mem:
            by_member.setdefault(j, []).append(int(np.asarray(c)))
    lookup = sets.to_dict()
    for c, mem in sets.items():
        # a dominating circle contains every member of c, so it is among the circles of any one member
        probe = min(mem, key=lambda j: len(by_member[j]))
        dominated = any(o != c and len(lookup[o]) > len(mem) and mem <= lookup[o] for o in by_member[probe])
        if not dominated:
            keep.append(c)
    kept = pairs.loc[pairs["c"].isin(keep)]
    return pd.DataFrame({"circle_id": ids[kept["c"].to_numpy()], "site_id": hid[kept["m"].to_numpy()]}).reset_index(
        drop=True
    )
