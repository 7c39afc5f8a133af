"""The network a hydraulic solve works on: dense arrays with units in their names.

Each pipe is a supply + return pair along one route (a pre-insulated pair):
the supply pipe runs ``from_node → to_node``, the return pipe back. Consumers
draw water from the supply node and return it to the return node of the same
junction; producers take it from the return node and feed the supply node.
One producer per connected network holds the pressure (mode ``pressure``: a
circulation pump with fixed supply and return pressure); the others inject a
given mass flow (``mass_flow``) or heat (``heat``) at a given supply
temperature.

:meth:`HydraulicNetwork.from_frames` reads four tables declared in
:mod:`teplo.schema` (``hydraulic_nodes``, ``hydraulic_pipes``,
``hydraulic_consumers``, ``hydraulic_producers``), validates them and converts
ids to indices once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from teplo.errors import InputError
from teplo.network.hydraulics.topology import (
    HEAT,
    MASS_FLOW,
    PRESSURE,
    PRODUCER_MODES,
    BoolArray,
    IntArray,
    Topology,
    build_topology,
    topology_key,
)
from teplo.network.water import FloatArray
from teplo.schema import Column, Table, check_columns, register

# new steel (vicus-software.com pressure-loss-calculation; kharkiv-figures.md §4.1)
DEFAULT_ROUGHNESS_MM = 0.05
DEFAULT_MIN_DP_PA = 0.5e5  # differential pressure at the critical consumer, upper end of
#                            "≥ 0.3–0.5 bar" (vicus-software.com pipe-dimensioning; figures §4.1)
DEFAULT_PUMP_EFFICIENCY = 0.8  # circulating pump (CityEnergyAnalyst cea/constants.py PUMP_ETA)
TOPOLOGY_CACHE_SIZE = 8  # valve states whose topology a network (and its copies) remembers

NODES_TABLE = register(
    Table(
        name="hydraulic_nodes",
        description="Junctions of a heat network; each stands for a supply and a return node.",
        columns=(Column("node_id", "str", "-", "Node id (any hashable value, unique)."),),
    )
)
PIPES_TABLE = register(
    Table(
        name="hydraulic_pipes",
        description="Supply+return pipe pairs; the supply pipe runs from_node -> to_node.",
        columns=(
            Column("pipe_id", "str", "-", "Pipe pair id (unique)."),
            Column("from_node", "str", "-", "Start node of the supply pipe."),
            Column("to_node", "str", "-", "End node of the supply pipe."),
            Column("length_m", "float", "m", "Route length (> 0)."),
            Column("inner_diameter_m", "float", "m", "Inner diameter of each pipe (> 0)."),
            Column(
                "roughness_mm",
                "float",
                "mm",
                "Equivalent sand roughness (default 0.05).",
                required=False,
            ),
            Column(
                "u_w_per_m_k",
                "float",
                "W/(m K)",
                "Heat-loss coefficient of one pipe to the ground (>= 0).",
            ),
            Column("ground_temp_c", "float", "degC", "Ground temperature along the route."),
            Column(
                "valve_open",
                "bool",
                "-",
                "False closes both pipes of the pair (default True).",
                required=False,
            ),
        ),
    )
)
CONSUMERS_TABLE = register(
    Table(
        name="hydraulic_consumers",
        description="Substations drawing heat between the supply and return node of a junction.",
        columns=(
            Column("consumer_id", "str", "-", "Consumer id (unique)."),
            Column("node", "str", "-", "Junction the substation is connected to."),
            Column("heat_w", "float", "W", "Heat drawn (>= 0)."),
            Column(
                "return_temp_c",
                "float",
                "degC",
                "Fixed return temperature; or give delta_t_k.",
                required=False,
            ),
            Column(
                "delta_t_k",
                "float",
                "K",
                "Fixed supply-return difference; or give return_temp_c.",
                required=False,
            ),
            Column(
                "min_dp_pa",
                "float",
                "Pa",
                "Differential pressure needed (default 0.5 bar).",
                required=False,
            ),
        ),
    )
)
PRODUCERS_TABLE = register(
    Table(
        name="hydraulic_producers",
        description="Heat sources feeding a junction's supply node from its return node.",
        columns=(
            Column("producer_id", "str", "-", "Producer id (unique)."),
            Column("node", "str", "-", "Junction the producer is connected to."),
            Column("mode", "str", "-", "'pressure' (holds pressures), 'mass_flow' or 'heat'."),
            Column("supply_temp_c", "float", "degC", "Supply (feed) temperature."),
            Column(
                "p_supply_pa", "float", "Pa", "Supply pressure ('pressure' mode).", required=False
            ),
            Column(
                "p_return_pa",
                "float",
                "Pa",
                "Return pressure ('pressure' mode); or dp_pa.",
                required=False,
            ),
            Column(
                "dp_pa",
                "float",
                "Pa",
                "Pump lift p_supply - p_return ('pressure' mode).",
                required=False,
            ),
            Column(
                "mass_flow_kg_s",
                "float",
                "kg/s",
                "Injected mass flow ('mass_flow' mode).",
                required=False,
            ),
            Column("heat_w", "float", "W", "Injected heat ('heat' mode).", required=False),
            Column(
                "pump_efficiency",
                "float",
                "-",
                "Pump wire-to-water efficiency (default 0.8).",
                required=False,
            ),
        ),
    )
)


@dataclass(frozen=True, eq=False)
class PipeArrays:
    """Pipe pairs; node references are indices into ``HydraulicNetwork.node_id``."""

    id: NDArray[np.object_]
    from_node: IntArray
    to_node: IntArray
    length_m: FloatArray
    inner_diameter_m: FloatArray
    roughness_mm: FloatArray
    u_w_per_m_k: FloatArray
    ground_temp_c: FloatArray
    valve_open: BoolArray

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True, eq=False)
class ConsumerArrays:
    """Consumers; exactly one of ``return_temp_c`` and ``delta_t_k`` is set (the other NaN)."""

    id: NDArray[np.object_]
    node: IntArray
    heat_w: FloatArray
    return_temp_c: FloatArray
    delta_t_k: FloatArray
    min_dp_pa: FloatArray

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True, eq=False)
class ProducerArrays:
    """Producers; fields a mode does not use are NaN."""

    id: NDArray[np.object_]
    node: IntArray
    mode: NDArray[np.str_]
    supply_temp_c: FloatArray
    p_supply_pa: FloatArray
    p_return_pa: FloatArray
    mass_flow_kg_s: FloatArray
    heat_w: FloatArray
    pump_efficiency: FloatArray

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True, eq=False)
class HydraulicNetwork:
    """A closed-loop heat network as arrays (SI units; temperatures in °C).

    Build it with :meth:`from_frames`, or directly from arrays and call
    :meth:`validate`. Change demands or valves with :meth:`with_heat` and
    :meth:`with_valves` (cheap copies sharing the other arrays).
    """

    node_id: NDArray[np.object_]
    pipes: PipeArrays
    consumers: ConsumerArrays
    producers: ProducerArrays
    _topologies: dict[tuple[bytes, ...], Topology] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def n_nodes(self) -> int:
        """Number of junctions."""
        return len(self.node_id)

    @classmethod
    def from_frames(
        cls,
        nodes: pd.DataFrame,
        pipes: pd.DataFrame,
        consumers: pd.DataFrame,
        producers: pd.DataFrame,
        *,
        allow_unsupplied: bool = False,
    ) -> HydraulicNetwork:
        """Validate the four tables and convert them to arrays.

        Raises :class:`InputError` naming the rows at fault: missing columns or
        values, duplicate or unknown ids, non-positive lengths or diameters,
        consumers without (or with both) return temperature and ΔT, producers
        missing their mode's set point, no pressure-holding producer, and —
        unless ``allow_unsupplied`` — consumers with no path to one.
        """
        for frame, table in (
            (nodes, NODES_TABLE),
            (pipes, PIPES_TABLE),
            (consumers, CONSUMERS_TABLE),
            (producers, PRODUCERS_TABLE),
        ):
            check_columns(frame, table, "HydraulicNetwork.from_frames")
        node_id = nodes["node_id"].to_numpy(dtype=object)
        _unique(node_id, "hydraulic_nodes", "node_id")
        index = pd.Index(node_id)

        net = cls(
            node_id=node_id,
            pipes=PipeArrays(
                id=_ids(pipes, "pipe_id", "hydraulic_pipes"),
                from_node=_lookup(index, pipes, "from_node", "pipe_id", "hydraulic_pipes"),
                to_node=_lookup(index, pipes, "to_node", "pipe_id", "hydraulic_pipes"),
                length_m=_floats(pipes, "length_m", "pipe_id", "hydraulic_pipes"),
                inner_diameter_m=_floats(pipes, "inner_diameter_m", "pipe_id", "hydraulic_pipes"),
                roughness_mm=_floats(
                    pipes, "roughness_mm", "pipe_id", "hydraulic_pipes", DEFAULT_ROUGHNESS_MM
                ),
                u_w_per_m_k=_floats(pipes, "u_w_per_m_k", "pipe_id", "hydraulic_pipes"),
                ground_temp_c=_floats(pipes, "ground_temp_c", "pipe_id", "hydraulic_pipes"),
                valve_open=(
                    pipes["valve_open"].fillna(True).to_numpy(dtype=bool)
                    if "valve_open" in pipes
                    else np.ones(len(pipes), dtype=bool)
                ),
            ),
            consumers=ConsumerArrays(
                id=_ids(consumers, "consumer_id", "hydraulic_consumers"),
                node=_lookup(index, consumers, "node", "consumer_id", "hydraulic_consumers"),
                heat_w=_floats(consumers, "heat_w", "consumer_id", "hydraulic_consumers"),
                return_temp_c=_optional(consumers, "return_temp_c"),
                delta_t_k=_optional(consumers, "delta_t_k"),
                min_dp_pa=_floats(
                    consumers, "min_dp_pa", "consumer_id", "hydraulic_consumers", DEFAULT_MIN_DP_PA
                ),
            ),
            producers=_producer_arrays(producers, index),
        )
        net.validate(allow_unsupplied=allow_unsupplied)
        return net

    def validate(self, *, allow_unsupplied: bool = False) -> Topology:
        """Check values and topology; return the topology of the current valve state.

        Raises :class:`InputError` naming the objects at fault.
        """
        validate_arrays(self)
        topo = self.topology()
        if not allow_unsupplied:
            raise_unsupplied(self, topo)
        return topo

    def topology_key(self) -> tuple[bytes, ...]:
        """Identifies the topology: connections, valve states, producer and consumer nodes."""
        prod = self.producers
        return topology_key(
            self.pipes.from_node, self.pipes.to_node, self.pipes.valve_open, self.n_nodes,
            prod.node, prod.mode == PRESSURE, self.consumers.node,
        )  # fmt: skip

    def topology(self) -> Topology:
        """Islands, spanning forest and loops of the current valve state (cached)."""
        key = self.topology_key()
        topo = self._topologies.get(key)
        if topo is None:
            prod = self.producers
            topo = build_topology(
                self.n_nodes, self.pipes.from_node, self.pipes.to_node, self.pipes.valve_open,
                prod.node, prod.mode == PRESSURE, self.consumers.node, prod.id, key=key,
            )  # fmt: skip
            if len(self._topologies) >= TOPOLOGY_CACHE_SIZE:
                self._topologies.pop(next(iter(self._topologies)))
            self._topologies[key] = topo
        return topo

    def _sharing_cache(self, other: HydraulicNetwork) -> HydraulicNetwork:
        """``other`` (a copy of this network) sharing this network's topology cache."""
        object.__setattr__(other, "_topologies", self._topologies)
        return other

    def with_valves(self, valve_open: ArrayLike) -> HydraulicNetwork:
        """A copy with new valve states (one bool per pipe)."""
        state = np.asarray(valve_open, dtype=bool)
        if state.shape != self.pipes.valve_open.shape:
            raise InputError(f"with_valves: need {len(self.pipes)} valve states, got {state.shape}")
        return self._sharing_cache(replace(self, pipes=replace(self.pipes, valve_open=state)))

    def with_heat(self, heat_w: ArrayLike) -> HydraulicNetwork:
        """A copy with new consumer heat demands [W] (one per consumer)."""
        heat = np.asarray(heat_w, dtype=np.float64)
        if heat.shape != self.consumers.heat_w.shape or np.any(~np.isfinite(heat) | (heat < 0)):
            raise InputError(f"with_heat: need {len(self.consumers)} finite demands >= 0 [W]")
        return self._sharing_cache(replace(self, consumers=replace(self.consumers, heat_w=heat)))


def raise_unsupplied(net: HydraulicNetwork, topo: Topology) -> None:
    """Raise :class:`InputError` if a consumer has no path to a pressure-holding producer."""
    cut = np.flatnonzero(~topo.consumer_supplied)
    if len(topo.slack_producer) == 0:
        raise InputError(
            "the network has no pressure-holding producer (mode 'pressure'); "
            "give one producer per connected network that mode"
        )
    if len(cut):
        names = ", ".join(str(x) for x in net.consumers.id[cut[:20]])
        more = " …" if len(cut) > 20 else ""
        raise InputError(
            f"{len(cut)} consumer(s) have no path to a pressure-holding producer "
            f"(closed valves or missing pipes): {names}{more}. Reconnect them, or pass "
            "allow_unsupplied=True to report them as unsupplied"
        )


def _unique(values: NDArray[np.object_], table: str, column: str) -> None:
    dup = pd.Index(values).duplicated()
    if dup.any():
        raise InputError(f"{table}: column '{column}' has duplicate ids {list(values[dup][:10])}")


def _ids(frame: pd.DataFrame, column: str, table: str) -> NDArray[np.object_]:
    ids = frame[column].to_numpy(dtype=object)
    if pd.isna(frame[column]).any():
        raise InputError(f"{table}: column '{column}' has missing ids")
    _unique(ids, table, column)
    return ids


def _lookup(index: pd.Index, frame: pd.DataFrame, column: str, id_col: str, table: str) -> IntArray:
    pos = index.get_indexer(pd.Index(frame[column].to_numpy(dtype=object)))
    bad = pos < 0
    if bad.any():
        rows = ", ".join(
            f"{frame[id_col].iloc[i]} -> '{frame[column].iloc[i]}'"
            for i in np.flatnonzero(bad)[:10]
        )
        raise InputError(f"{table}: column '{column}' names unknown node(s): {rows}")
    return pos.astype(np.int64)


def _floats(
    frame: pd.DataFrame, column: str, id_col: str, table: str, default: float | None = None
) -> FloatArray:
    if column not in frame:
        if default is None:
            raise InputError(f"{table}: missing column '{column}'")
        return np.full(len(frame), default)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    if default is not None:
        values = np.where(frame[column].isna().to_numpy(), default, values)
    bad = ~np.isfinite(values)
    if bad.any():
        ids = ", ".join(str(x) for x in frame[id_col].to_numpy()[bad][:10])
        raise InputError(f"{table}: column '{column}' is missing or not a number for: {ids}")
    return values


def _optional(frame: pd.DataFrame, column: str) -> FloatArray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _producer_arrays(frame: pd.DataFrame, index: pd.Index) -> ProducerArrays:
    table = "hydraulic_producers"
    ids = _ids(frame, "producer_id", table)
    mode = frame["mode"].astype(str).str.strip().str.lower().to_numpy(dtype=str)
    p_supply = _optional(frame, "p_supply_pa")
    p_return = _optional(frame, "p_return_pa")
    dp = _optional(frame, "dp_pa")
    p_return = np.where(np.isnan(p_return), p_supply - dp, p_return)
    return ProducerArrays(
        id=ids,
        node=_lookup(index, frame, "node", "producer_id", table),
        mode=mode,
        supply_temp_c=_floats(frame, "supply_temp_c", "producer_id", table),
        p_supply_pa=p_supply,
        p_return_pa=p_return,
        mass_flow_kg_s=_optional(frame, "mass_flow_kg_s"),
        heat_w=_optional(frame, "heat_w"),
        pump_efficiency=_floats(
            frame, "pump_efficiency", "producer_id", table, DEFAULT_PUMP_EFFICIENCY
        ),
    )


def _fail(table: str, what: str, ids: NDArray[np.object_], mask: BoolArray) -> None:
    if np.any(mask):
        names = ", ".join(str(x) for x in ids[mask][:10]) + (" …" if mask.sum() > 10 else "")
        raise InputError(f"{table}: {what}: {names}")


def validate_arrays(net: HydraulicNetwork) -> None:
    """Value checks on the arrays; each failure names the objects."""
    if net.n_nodes == 0:
        raise InputError("hydraulic_nodes: the network has no nodes")
    p, c, g = net.pipes, net.consumers, net.producers
    n = net.n_nodes
    for name, arr in (
        ("pipe", p.from_node),
        ("pipe", p.to_node),
        ("consumer", c.node),
        ("producer", g.node),
    ):
        if np.any((arr < 0) | (arr >= n)):
            raise InputError(f"{name} node index out of range 0..{n - 1}")
    pt, ct, gt = "hydraulic_pipes", "hydraulic_consumers", "hydraulic_producers"
    _fail(pt, "from_node equals to_node", p.id, p.from_node == p.to_node)
    _fail(pt, "length_m must be positive", p.id, ~(p.length_m > 0))
    _fail(pt, "inner_diameter_m must be positive", p.id, ~(p.inner_diameter_m > 0))
    _fail(pt, "roughness_mm must be >= 0", p.id, ~(p.roughness_mm >= 0))
    _fail(pt, "u_w_per_m_k must be >= 0", p.id, ~(p.u_w_per_m_k >= 0))
    _fail(pt, "ground_temp_c must be a number", p.id, ~np.isfinite(p.ground_temp_c))
    _fail(ct, "heat_w must be >= 0", c.id, ~(c.heat_w >= 0))
    has_tr, has_dt = np.isfinite(c.return_temp_c), np.isfinite(c.delta_t_k)
    _fail(ct, "give exactly one of return_temp_c and delta_t_k", c.id, has_tr == has_dt)
    _fail(ct, "delta_t_k must be positive", c.id, has_dt & ~(c.delta_t_k > 0))
    _fail(ct, "min_dp_pa must be >= 0", c.id, ~(c.min_dp_pa >= 0))
    _fail(gt, f"mode must be one of {PRODUCER_MODES}", g.id, ~np.isin(g.mode, PRODUCER_MODES))
    _fail(gt, "supply_temp_c must be a number", g.id, ~np.isfinite(g.supply_temp_c))
    is_p = g.mode == PRESSURE
    _fail(gt, "'pressure' mode needs p_supply_pa and p_return_pa (or dp_pa)", g.id,
          is_p & ~(np.isfinite(g.p_supply_pa) & np.isfinite(g.p_return_pa)))  # fmt: skip
    _fail(gt, "'pressure' mode needs p_supply_pa > p_return_pa", g.id,
          is_p & (g.p_supply_pa <= g.p_return_pa))  # fmt: skip
    _fail(gt, "'mass_flow' mode needs mass_flow_kg_s >= 0", g.id,
          (g.mode == MASS_FLOW) & ~(g.mass_flow_kg_s >= 0))  # fmt: skip
    _fail(gt, "'heat' mode needs heat_w >= 0", g.id, (g.mode == HEAT) & ~(g.heat_w >= 0))
    _fail(gt, "pump_efficiency must be in (0, 1]", g.id,
          ~((g.pump_efficiency > 0) & (g.pump_efficiency <= 1)))  # fmt: skip
    if not np.any(is_p):
        raise InputError(
            "hydraulic_producers: no producer holds the pressure; give one producer per connected "
            "network mode 'pressure' with p_supply_pa and p_return_pa (or dp_pa)"
        )
