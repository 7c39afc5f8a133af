"""Small hand-made networks shared by the hydraulics tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from teplo.network.hydraulics import HydraulicNetwork

SUPPLY_C = 95.0  # design supply temperature [°C] (95/70, kharkiv-figures.md §4.1)
RETURN_C = 70.0
GROUND_C = 5.0
P_SUPPLY_PA = 6.0e5
P_RETURN_PA = 3.0e5


def frames(
    pipes: list[tuple[str, int, int, float, float]],
    consumers: list[tuple[str, int, float]],
    *,
    n_nodes: int | None = None,
    u_w_per_m_k: float = 0.4,
    producers: pd.DataFrame | None = None,
    valve_open: dict[str, bool] | None = None,
    delta_t: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tables for ``HydraulicNetwork.from_frames``.

    ``pipes`` rows: (id, from, to, length_m, inner_diameter_m); ``consumers``
    rows: (id, node, heat_w), fixed 70 °C return unless named in ``delta_t``.
    Default producer: 'boiler' at node 0 holding 6/3 bar at 95 °C.
    """
    ids, f, t, length, d = (list(x) for x in zip(*pipes, strict=True))
    n = n_nodes if n_nodes is not None else max(max(f), max(t)) + 1
    pipe_frame = pd.DataFrame({
        "pipe_id": ids, "from_node": f, "to_node": t, "length_m": length, "inner_diameter_m": d,
        "roughness_mm": 0.05, "u_w_per_m_k": u_w_per_m_k, "ground_temp_c": GROUND_C,
        "valve_open": [(valve_open or {}).get(i, True) for i in ids],
    })  # fmt: skip
    c_ids = [c[0] for c in consumers]
    dts = delta_t or {}
    cons = pd.DataFrame({
        "consumer_id": c_ids,
        "node": [c[1] for c in consumers],
        "heat_w": [c[2] for c in consumers],
        "return_temp_c": [np.nan if i in dts else RETURN_C for i in c_ids],
        "delta_t_k": [dts.get(i, np.nan) for i in c_ids],
    })  # fmt: skip
    if producers is None:
        producers = pressure_producer()
    return pd.DataFrame({"node_id": range(n)}), pipe_frame, cons, producers


def pressure_producer(node: int = 0, pid: str = "boiler") -> pd.DataFrame:
    """One producer holding 6 bar supply and 3 bar return at 95 °C."""
    return pd.DataFrame({
        "producer_id": [pid], "node": [node], "mode": ["pressure"], "supply_temp_c": [SUPPLY_C],
        "p_supply_pa": [P_SUPPLY_PA], "p_return_pa": [P_RETURN_PA],
    })  # fmt: skip


def network(*args: object, **kwargs: object) -> HydraulicNetwork:
    """``HydraulicNetwork.from_frames(*frames(...))``."""
    allow = bool(kwargs.pop("allow_unsupplied", False))
    return HydraulicNetwork.from_frames(*frames(*args, **kwargs), allow_unsupplied=allow)  # type: ignore[arg-type]


# A small tree: 0 -> 1 -> {2, 3}, 1 -> 4 -> 5
TREE_PIPES = [
    ("a", 0, 1, 300.0, 0.1071),
    ("b", 1, 2, 200.0, 0.0825),
    ("c", 1, 3, 250.0, 0.0697),
    ("d", 1, 4, 150.0, 0.0825),
    ("e", 4, 5, 120.0, 0.0539),
]
TREE_CONSUMERS = [("c2", 2, 300e3), ("c3", 3, 200e3), ("c4", 4, 150e3), ("c5", 5, 100e3)]

# A mesh with two loops: square 1-2-3-4 fed at 1 from 0, diagonal 2-4
MESH_PIPES = [
    ("feed", 0, 1, 200.0, 0.1325),
    ("s12", 1, 2, 150.0, 0.0825),
    ("s23", 2, 3, 150.0, 0.0697),
    ("s34", 3, 4, 150.0, 0.0697),
    ("s41", 4, 1, 150.0, 0.0825),
    ("d24", 2, 4, 210.0, 0.0539),
    ("svc3", 3, 5, 30.0, 0.0539),
]
MESH_CONSUMERS = [("m2", 2, 250e3), ("m4", 4, 350e3), ("m5", 5, 400e3)]


@pytest.fixture
def tree() -> HydraulicNetwork:
    """The small tree with four consumers."""
    return network(TREE_PIPES, TREE_CONSUMERS)


@pytest.fixture
def mesh() -> HydraulicNetwork:
    """The two-loop mesh with three consumers."""
    return network(MESH_PIPES, MESH_CONSUMERS)
