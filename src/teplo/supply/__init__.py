"""Supply: unit catalogue, candidate sites, siting MILP, dispatch."""
