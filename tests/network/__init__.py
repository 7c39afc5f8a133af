"""Tests of teplo.network: pipes, water properties, hydraulics."""
