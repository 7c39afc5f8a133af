"""Declarations of the network's tables: ``pipes`` and ``network_nodes``.

Importing this module registers both with :mod:`teplo.schema`, so GeoPackage
I/O and the docs know their columns. Routing (:func:`teplo.network.routing.route_to_frames`)
fills the topology and cost columns; :mod:`teplo.network.interconnect` adds
the site-loss interconnectors; pipe sizing fills ``dn``; the hydraulic
solver fills the flow, velocity, pressure-drop and heat-loss columns (empty
on interconnectors, closed in the design state).
"""

from __future__ import annotations

from teplo.schema import Column, Table, register

NETWORK_NODES = register(
    Table(
        name="network_nodes",
        description="Junctions of the routed heat network: street nodes, taps, building substations and plant sites.",
        geometry="Point",
        columns=(
            Column("node_id", "int", "-", "Node id of the routing graph (its row position there)."),
            Column("kind", "str", "-", "street, tap (a street split for a connection), building, site, or pipe (an existing off-street pipe's node)."),
            Column("building_id", "str", "-", "The building a 'building' node is the substation of; empty otherwise."),
            Column("site_id", "str", "-", "The plant site a 'site' node is; empty otherwise."),
        ),
    )
)

PIPES = register(
    Table(
        name="pipes",
        description="Pipes of the routed heat network (supply + return pair per row), oriented from the plant outwards.",
        geometry="LineString",
        columns=(
            Column("pipe_id", "int", "-", "Pipe id (the routing graph's edge_id)."),
            Column("dn", "int", "mm", "Nominal diameter: the existing pipe's DN, else chosen by sizing."),
            Column("length_m", "float", "m", "Length of trench (one supply + return pair)."),
            Column("from_node", "int", "-", "Upstream node_id (towards the plant; either end on a ring pipe)."),
            Column("to_node", "int", "-", "Downstream node_id."),
            Column("mass_flow_kg_s", "float", "kg/s", "Supply mass flow from from_node to to_node (hydraulics).", required=False),
            Column("velocity_m_s", "float", "m/s", "Mean water velocity in the supply pipe (hydraulics).", required=False),
            Column("pressure_drop_pa", "float", "Pa", "Pressure drop along the supply pipe (hydraulics).", required=False),
            Column("heat_loss_kw", "float", "kW", "Heat lost by the supply + return pair (hydraulics).", required=False),
            Column("cost_eur", "float", "EUR", "Cost of new trench and pipe; 0 for a reused existing pipe."),
            Column("design_flow_kw", "float", "kW", "Sum of the downstream buildings' design loads, before simultaneity.", required=False),
            Column("n_downstream", "int", "-", "Buildings fed through the pipe (for a simultaneity factor).", required=False),
            Column("existing", "bool", "-", "An existing pipe, reused.", required=False),
            Column("laying_year", "int", "a", "Year an existing pipe was laid, empty if unknown or new.", required=False),
            Column("site_id", "str", "-", "The plant site feeding the pipe; empty on ring pipes.", required=False),
            Column("ring", "bool", "-", "Added to close a loop (not part of the tree).", required=False),
            Column("interconnector", "bool", "-", "Site-loss interconnector: a normally closed pipe (ring too) joining a district's network to its backup site's, sized for the backup load (design_flow_kw); ids prefixed 'a~b:' by the two sites.", required=False),
            Column("kind", "str", "-", "street, service (to a building), site (to a plant) or existing (off-street).", required=False),
        ),
    )
)
