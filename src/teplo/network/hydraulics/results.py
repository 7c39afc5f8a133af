"""Result of a hydraulic solve: arrays per pipe, node, producer and consumer.

Arrays are indexed like the network's (``net.pipes.id`` etc.); ``to_frame()``
and the ``*_frame`` properties give labelled pandas tables. Flows are signed:
the supply pipe along ``from_node → to_node``, the return pipe along
``to_node → from_node`` (so in a tree both are positive away from the
producer). Temperatures of pipes are along the actual flow. Unsupplied parts
report zero flow and NaN pressures and temperatures.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from teplo.network.hydraulics.topology import BoolArray, Topology
from teplo.network.water import FloatArray


class _Table:
    """Mixin: a dataclass of equal-length arrays that converts to a DataFrame."""

    def to_frame(self, index: NDArray[Any] | None = None, name: str | None = None) -> pd.DataFrame:
        """The arrays as columns, rows labelled by ``index`` (ids)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        frame = pd.DataFrame(data, index=index)
        frame.index.name = name
        return frame


@dataclass(eq=False)
class PipeResults(_Table):
    """Per pipe pair: supply and return pipe."""

    supply_mass_flow_kg_s: FloatArray
    return_mass_flow_kg_s: FloatArray
    supply_velocity_m_s: FloatArray
    return_velocity_m_s: FloatArray
    supply_reynolds: FloatArray  # [-]; laminar below 2320, turbulent above 4000
    return_reynolds: FloatArray
    supply_pressure_drop_pa: FloatArray  # p_in - p_out along the signed flow orientation
    return_pressure_drop_pa: FloatArray
    supply_t_in_c: FloatArray
    supply_t_out_c: FloatArray
    return_t_in_c: FloatArray
    return_t_out_c: FloatArray
    supply_heat_loss_w: FloatArray
    return_heat_loss_w: FloatArray
    active: BoolArray  # open and in a supplied network


@dataclass(eq=False)
class NodeResults(_Table):
    """Per junction: its supply and return node."""

    p_supply_pa: FloatArray
    p_return_pa: FloatArray
    t_supply_c: FloatArray
    t_return_c: FloatArray
    supplied: BoolArray


@dataclass(eq=False)
class ProducerResults(_Table):
    """Per producer."""

    mass_flow_kg_s: FloatArray  # negative: a slack pushed backwards (others feed more than demand)
    heat_w: FloatArray
    supply_temp_c: FloatArray  # of the water it feeds (its set point unless pushed backwards)
    return_temp_c: FloatArray
    p_supply_pa: FloatArray
    p_return_pa: FloatArray
    pump_power_w: FloatArray  # electric, m*dp/(rho*eta), zero if the lift is negative
    supplied: BoolArray


@dataclass(eq=False)
class ConsumerResults(_Table):
    """Per consumer."""

    mass_flow_kg_s: FloatArray
    heat_supplied_w: FloatArray
    t_supply_c: FloatArray
    t_return_c: FloatArray
    p_supply_pa: FloatArray
    p_return_pa: FloatArray
    dp_pa: FloatArray  # p_supply - p_return at the consumer's junction
    dp_ok: BoolArray  # dp_pa >= min_dp_pa (False when unsupplied)
    supplied: BoolArray


@dataclass(eq=False)
class HydraulicResult:
    """Steady thermo-hydraulic state of a network.

    ``iterations`` counts outer (temperature–flow coupling) iterations,
    ``newton_iterations`` the loop-flow Newton steps summed over them (0 for
    trees). ``residual`` is the last relative change of the mass flows,
    ``loop_residual_pa`` the largest loop pressure imbalance left.
    """

    pipe: PipeResults
    node: NodeResults
    producer: ProducerResults
    consumer: ConsumerResults
    iterations: int
    newton_iterations: int
    converged: bool
    residual: float
    loop_residual_pa: float
    n_loops: int
    pipe_id: NDArray[np.object_]
    node_id: NDArray[np.object_]
    producer_id: NDArray[np.object_]
    consumer_id: NDArray[np.object_]
    topology: Topology

    @property
    def pipes(self) -> pd.DataFrame:
        """Pipe results as a table indexed by pipe id."""
        return self.pipe.to_frame(self.pipe_id, "pipe_id")

    @property
    def nodes(self) -> pd.DataFrame:
        """Node results as a table indexed by node id."""
        return self.node.to_frame(self.node_id, "node_id")

    @property
    def producers(self) -> pd.DataFrame:
        """Producer results as a table indexed by producer id."""
        return self.producer.to_frame(self.producer_id, "producer_id")

    @property
    def consumers(self) -> pd.DataFrame:
        """Consumer results as a table indexed by consumer id."""
        return self.consumer.to_frame(self.consumer_id, "consumer_id")

    def energy_balance_w(self) -> dict[str, float]:
        """Producer heat, consumer heat and pipe losses [W], summed over the network."""
        return {
            "producers_w": float(np.nansum(self.producer.heat_w)),
            "consumers_w": float(np.nansum(self.consumer.heat_supplied_w)),
            "losses_w": float(
                np.nansum(self.pipe.supply_heat_loss_w) + np.nansum(self.pipe.return_heat_loss_w)
            ),
        }
