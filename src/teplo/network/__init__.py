"""Heat networks: street graph, routing, pipe catalogue and sizing, hydraulics."""
